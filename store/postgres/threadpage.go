package postgres

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// threadPageSQL reads up to $3 threads of ticket $1 in scope $2, newest first (the
// caller reverses them): a backward scan of threads_ticket_order from the end, or from
// the thread $4 with beforeCond.
const (
	threadPageSQL = `
	SELECT ` + threadColumns + `
	  FROM tickets t
	 CROSS JOIN LATERAL (
	       SELECT * FROM threads th WHERE th.ticket_id = t.id %s
	        ORDER BY th.created_at DESC, th.id DESC LIMIT $3) th` + threadJoins + `
	 WHERE t.id = $1 AND ` + inScope + `
	 ORDER BY th.created_at DESC, th.id DESC`
	beforeCond = `AND (th.created_at, th.id) <
	       (SELECT b.created_at, b.id FROM threads b WHERE b.id = $4 AND b.ticket_id = t.id)`
)

// Threads returns up to limit threads of a ticket c may see, older than before (the
// newest without it), oldest first. One round trip: whether the ticket is c's, whether
// before is one of its threads, and the page (one row more than asked, to tell HasMore).
func (db *DB) Threads(ctx context.Context, c store.Caller, id store.ID, before *store.ID, limit int) (store.ThreadPage, error) {
	limit = min(max(limit, 1), maxLimit)
	var (
		missing, notThread bool
		page               = store.ThreadPage{Threads: []store.Thread{}}
	)
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM tickets t WHERE t.id = $1 AND `+inScope, id, clientScope(c)).
		QueryRow(func(row pgx.Row) error { return absent("ticket", row.Scan(new(int)), &missing) })
	sql, args := fmtPage(""), []any{id, clientScope(c), limit + 1}
	if before != nil {
		b.Queue(`
			SELECT 1 FROM threads th JOIN tickets t ON t.id = th.ticket_id
			 WHERE th.id = $3 AND th.ticket_id = $1 AND `+inScope, id, clientScope(c), *before).
			QueryRow(func(row pgx.Row) error { return absent("before thread", row.Scan(new(int)), &notThread) })
		sql, args = fmtPage(beforeCond), append(args, *before)
	}
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		return scanThreads(rows, func(th store.Thread) { page.Threads = append(page.Threads, th) })
	})
	if err := sendBatch(ctx, db.pool, b, "threads page"); err != nil {
		return store.ThreadPage{}, err
	}
	switch {
	case missing:
		return store.ThreadPage{}, store.ErrNotFound
	case notThread:
		return store.ThreadPage{}, store.ErrNotThread
	}
	if len(page.Threads) > limit {
		page.Threads, page.HasMore = page.Threads[:limit], true
	}
	slices.Reverse(page.Threads)
	return page, nil
}

func fmtPage(cond string) string { return strings.Replace(threadPageSQL, "%s", cond, 1) }
