package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// UpdateTicket applies a PUT to a ticket the caller may see. The ticket's row is locked
// first, so that concurrent updates apply one after the other and each records the
// status it really changed from.
func (db *DB) UpdateTicket(ctx context.Context, c store.Caller, id store.ID, u store.TicketUpdate) (store.Ticket, error) {
	var t store.Ticket
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		t, err = getTicket(ctx, tx, c, id, true)
		if err != nil {
			return err
		}
		previous := store.ApplyUpdate(&t, u)
		if u.Assignee.Set {
			t.Assignee = nil
			if u.Assignee.Value != nil {
				// The caller checked it is a known super admin; unknown is ErrNotFound.
				a := store.Person{ID: *u.Assignee.Value}
				err := tx.QueryRow(ctx, `SELECT name FROM people WHERE id = $1`, a.ID).Scan(&a.Name)
				if err != nil {
					return notFound("assignee", err)
				}
				t.Assignee = &a
			}
		}
		t.UpdatedAt = db.clock()
		if err := writeTicket(ctx, tx, t); err != nil {
			return err
		}
		return insertEvents(ctx, tx, store.UpdatedEvents(t, previous))
	})
	if err != nil {
		return store.Ticket{}, err
	}
	return t, nil
}

// writeTicket stores the fields a PUT or a linked issue may change.
func writeTicket(ctx context.Context, tx pgx.Tx, t store.Ticket) error {
	var assignee *store.ID
	if t.Assignee != nil {
		assignee = &t.Assignee.ID
	}
	_, err := tx.Exec(ctx, `
		UPDATE tickets
		   SET title = $2, subject = $3, category = $4, status = $5, api = $6,
		       issue_url = $7, assignee_id = $8, updated_at = $9
		 WHERE id = $1`,
		t.ID, t.Title, t.Subject, t.Category, t.Status, t.API, t.IssueURL, assignee, t.UpdatedAt.Time)
	return wrap("update ticket", err)
}

// DeleteTickets deletes the tickets among ids that the caller may see, threads and all.
// It locks them in id order first, so that overlapping bulk deletes wait for each other
// instead of deadlocking; the counts trigger then applies one sorted delta.
func (db *DB) DeleteTickets(ctx context.Context, c store.Caller, ids []store.ID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT id, client_id FROM tickets
			 WHERE id = ANY($1) AND ($2::text IS NULL OR client_id = $2)
			 ORDER BY id
			   FOR UPDATE`, ids, clientScope(c))
		if err != nil {
			return wrap("lock tickets", err)
		}
		var gone []store.Ticket
		var goneIDs []store.ID
		for rows.Next() {
			var t store.Ticket
			if err := rows.Scan(&t.ID, &t.Client.ID); err != nil {
				rows.Close()
				return wrap("lock tickets", err)
			}
			gone, goneIDs = append(gone, t), append(goneIDs, t.ID)
		}
		if err := rows.Err(); err != nil {
			return wrap("lock tickets", err)
		}
		if len(gone) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM tickets WHERE id = ANY($1)`, goneIDs); err != nil {
			return wrap("delete tickets", err)
		}
		n = len(gone)
		return insertEvents(ctx, tx, store.DeletedEvents(gone, db.clock()))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// clientScope is the client whose tickets c may see, or nil for every ticket.
func clientScope(c store.Caller) *store.ID {
	if c.Role == store.RoleSuperAdmin {
		return nil
	}
	return &c.ID
}
