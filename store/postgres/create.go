package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// CreateTicket inserts a pending ticket with its first threads and their events. A
// client's ticket is its own; a super admin's belongs to in.Client and its first
// threads are the super admin's. An owner never remembered is store.ErrNotFound.
func (db *DB) CreateTicket(ctx context.Context, in store.NewTicket) (store.Ticket, error) {
	owner := in.Client
	if in.Caller.Role == store.RoleClient {
		owner = in.Caller.ID
	}
	var t store.Ticket
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := claimKey(ctx, tx, in.Caller.ID, in.Idem); err != nil {
			return err
		}
		// The owner must be remembered: the client a super admin names, or the
		// client caller itself (the api remembers every caller first).
		client := store.Person{ID: owner}
		err := tx.QueryRow(ctx, `SELECT name FROM people WHERE id = $1`, owner).Scan(&client.Name)
		if err != nil {
			return notFound("client", err)
		}
		writer, err := ensurePerson(ctx, tx, in.Caller)
		if err != nil {
			return err
		}
		now := db.clock()
		zero := 0
		t = store.Ticket{
			ID:        db.ids.New(now.Time),
			Title:     in.Title,
			Subject:   clonePtr(in.Subject),
			Category:  in.Category,
			Status:    store.StatusPending,
			API:       clonePtr(in.API),
			Client:    client,
			Unread:    &zero, // the creator wrote every thread
			CreatedAt: now,
			UpdatedAt: now,
		}
		toClient, toSupport := unreadDelta(in.Caller.Role, len(in.Threads))
		err = tx.QueryRow(ctx, `
			INSERT INTO tickets (id, title, subject, category, status, api, client_id,
			                     created_at, updated_at, unread_client, unread_support)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)
			RETURNING number`,
			t.ID, t.Title, t.Subject, t.Category, t.Status, t.API, owner, now.Time, toClient, toSupport,
		).Scan(&t.Number)
		if err != nil {
			return wrap("insert ticket", err)
		}
		t.Threads = make([]store.Thread, 0, len(in.Threads))
		for _, body := range in.Threads {
			th := newThread(db.ids.New(now.Time), t, in.Caller, writer, body, now)
			if err := insertThread(ctx, tx, th); err != nil {
				return err
			}
			t.Threads = append(t.Threads, th)
		}
		if err := insertEvents(ctx, tx, store.CreatedEvents(t)); err != nil {
			return err
		}
		return saveReply(ctx, tx, in.Caller.ID, in.Idem, t)
	})
	if err != nil {
		return store.Ticket{}, err
	}
	return t, nil
}
