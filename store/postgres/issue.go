package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// linkIdleInTx lets LinkIssue's transaction idle while create runs: longer than
// the api lets a GitHub call take (15 s).
const linkIdleInTx = `SET LOCAL idle_in_transaction_session_timeout = '30s'`

// LinkIssue makes one GitHub issue for a ticket however many calls race. It locks the
// ticket's row and keeps it locked while create runs: a concurrent call waits at the
// lock, then reads the row as the first call committed it and finds issue_url set. An
// error from create is returned as it is, and nothing is written.
func (db *DB) LinkIssue(ctx context.Context, c store.Caller, id store.ID,
	create func(context.Context, store.Ticket) (string, error)) (store.Ticket, error) {
	var t store.Ticket
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		// The transaction waits for GitHub, longer than sessions may idle in one.
		if _, err := tx.Exec(ctx, linkIdleInTx); err != nil {
			return wrap("link issue", err)
		}
		var err error
		t, err = getTicket(ctx, tx, c, id, true)
		if err != nil {
			return err
		}
		if t.IssueURL != nil {
			return store.ErrIssueExists
		}
		url, err := create(ctx, t)
		if err != nil {
			return err
		}
		t.IssueURL = &url
		t.UpdatedAt = db.clock()
		if err := writeTicket(ctx, tx, t); err != nil {
			return err
		}
		return insertEvents(ctx, tx, store.UpdatedEvents(t, t.Status))
	})
	if err != nil {
		return store.Ticket{}, err
	}
	return t, nil
}
