package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPipelineCommitThatRollsBack: after a failed statement the transaction is
// aborted, and COMMIT then rolls back without an error of its own (only its tag says
// so). A function that went on past the failure must not see its writes reported as
// committed.
func TestPipelineCommitThatRollsBack(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	err := db.inPipeline(ctx, func(p *pipeTx) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT 1/0`)
		_ = p.batch(ctx, b)
		return nil
	})
	if !errors.Is(err, pgx.ErrTxCommitRollback) {
		t.Fatalf("inPipeline past a failed statement: got %v, want ErrTxCommitRollback", err)
	}
}
