package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/supportd/supportd/store"
)

// SearchTimeout is the statement deadline of a list with search words: whatever the
// words, a search holds a connection for at most this long, and its caller is told to
// narrow it (store.ErrSearchTooSlow).
const SearchTimeout = 2 * time.Second

// codeQueryCanceled is the SQLSTATE of a statement stopped by statement_timeout (or by
// a cancel request, which a done context sends).
const codeQueryCanceled = "57014"

// sendList sends a list's batch; a search's runs in a transaction that stops at
// SearchTimeout after its BEGIN (SET LOCAL ends with it), in the same round trip.
func (db *DB) sendList(ctx context.Context, b *pgx.Batch, search bool) error {
	if !search {
		return sendBatch(ctx, db.pool, b, "list tickets")
	}
	timeout := db.searchTimeout
	if timeout <= 0 {
		timeout = SearchTimeout
	}
	// statement_timeout counts per statement: before each statement after the first,
	// it is set to what is left of the deadline since BEGIN (now() is the
	// transaction's start), so that the whole search stops at the deadline.
	queued := []*pgx.QueuedQuery{{SQL: fmt.Sprintf("SET LOCAL statement_timeout = %d", timeout.Milliseconds())}}
	for i, qq := range b.QueuedQueries {
		if i > 0 {
			queued = append(queued, &pgx.QueuedQuery{SQL: fmt.Sprintf(`SELECT set_config('statement_timeout',
				greatest(1, %d - 1000 * extract(epoch FROM clock_timestamp() - now()))::int::text, true)`,
				timeout.Milliseconds())})
		}
		queued = append(queued, qq)
	}
	b.QueuedQueries = queued
	err := db.inPipeline(ctx, func(p *pipeTx) error {
		p.commitWith(b)
		return nil
	})
	var pgErr *pgconn.PgError
	// A done context also cancels with 57014: that is the caller's deadline, not ours.
	if errors.As(err, &pgErr) && pgErr.Code == codeQueryCanceled && ctx.Err() == nil {
		return store.ErrSearchTooSlow
	}
	return err
}

// SetSearchTimeout replaces SearchTimeout for this store; call it before use. Tests
// make it short to reach the deadline with little data.
func (db *DB) SetSearchTimeout(d time.Duration) { db.searchTimeout = d }
