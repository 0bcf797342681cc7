package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// ticketColumns and ticketFrom read a ticket with its people's latest names; scanTicket
// takes the row apart. Keep the three in step.
const (
	ticketColumns = `t.id, t.number, t.title, t.subject, t.category, t.status, t.api,
		t.issue_url, t.assignee_id, coalesce(pa.name, ''), t.client_id, coalesce(pc.name, ''),
		t.created_at, t.updated_at, t.unread_client, t.unread_support`
	ticketFrom = `tickets t
		LEFT JOIN people pc ON pc.id = t.client_id
		LEFT JOIN people pa ON pa.id = t.assignee_id`
)

// querier is what reads need: a pool or a transaction (they send batches).
type querier interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// scanTicket reads one row of ticketColumns, with Unread set for c from the counter
// of c's side.
func scanTicket(row pgx.Row, c store.Caller) (store.Ticket, error) {
	var (
		t                           store.Ticket
		assigneeID                  *store.ID
		assigneeName                string
		created, updated            time.Time
		unreadClient, unreadSupport int
	)
	err := row.Scan(&t.ID, &t.Number, &t.Title, &t.Subject, &t.Category, &t.Status, &t.API,
		&t.IssueURL, &assigneeID, &assigneeName, &t.Client.ID, &t.Client.Name,
		&created, &updated, &unreadClient, &unreadSupport)
	if err != nil {
		return store.Ticket{}, err
	}
	if assigneeID != nil {
		t.Assignee = &store.Person{ID: *assigneeID, Name: assigneeName}
	}
	t.CreatedAt, t.UpdatedAt = store.At(created), store.At(updated)
	unread := unreadSupport
	if c.Role == store.RoleClient {
		unread = unreadClient
	}
	t.Unread = &unread
	return t, nil
}

// Ticket returns one ticket with its latest store.TicketThreads threads, oldest first,
// ThreadsTotal and Unread for c.
func (db *DB) Ticket(ctx context.Context, c store.Caller, id store.ID) (store.Ticket, error) {
	return retryRead(ctx, func() (store.Ticket, error) { return getTicket(ctx, db.pool, c, id, false) })
}

// TicketClient returns the client of a ticket c may see: one primary-key lookup with
// c's scope in its WHERE clause, so another client's ticket costs what a missing one does.
func (db *DB) TicketClient(ctx context.Context, c store.Caller, id store.ID) (store.ID, error) {
	var client store.ID
	err := db.pool.QueryRow(ctx, `SELECT t.client_id FROM tickets t WHERE t.id = $1 AND `+inScope,
		id, clientScope(c)).Scan(&client)
	if err != nil {
		return "", notFound("ticket client", err)
	}
	return client, nil
}

// getTicket reads a ticket the caller may see, with its latest threads and their
// total, in one round trip; with lock it holds the ticket's row until the transaction
// ends, so that concurrent writers take turns (the threads are read after the lock is
// granted: a batch's statements run in order). c's scope is in every statement's WHERE
// clause: another client's ticket is neither read nor locked (nor waited for).
func getTicket(ctx context.Context, q querier, c store.Caller, id store.ID, lock bool) (store.Ticket, error) {
	sql := `SELECT ` + ticketColumns + ` FROM ` + ticketFrom + ` WHERE t.id = $1 AND ` + inScope
	if lock {
		sql += ` FOR UPDATE OF t`
	}
	var (
		t       store.Ticket
		missing bool
		threads = map[store.ID][]store.Thread{}
		totals  = map[store.ID]int{}
	)
	b := &pgx.Batch{}
	b.Queue(sql, id, clientScope(c)).QueryRow(func(row pgx.Row) error {
		var err error
		t, err = scanTicket(row, c)
		return absent("ticket", err, &missing)
	})
	ids := []store.ID{id}
	queueThreadsTotal(b, c, ids, totals)
	queueLatest(b, c, ids, store.TicketThreads, threads)
	if err := sendBatch(ctx, q, b, "ticket"); err != nil {
		return store.Ticket{}, err
	}
	if missing {
		return store.Ticket{}, store.ErrNotFound
	}
	total := totals[t.ID]
	t.Threads, t.ThreadsTotal = orEmpty(threads[t.ID]), &total
	return t, nil
}
