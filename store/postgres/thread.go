package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// loadThreads reads the threads of the given tickets in one query, each ticket's
// oldest first. Thread.Client is left for the caller to fill: it is the ticket's client.
func loadThreads(ctx context.Context, q querier, ticketIDs []store.ID) (map[store.ID][]store.Thread, error) {
	rows, err := q.Query(ctx, `
		SELECT th.id, th.ticket_id, th.message, th.seen_at, th.super_admin_id,
		       coalesce(ps.name, ''), th.attachments, th.created_at, th.updated_at
		  FROM threads th
		  LEFT JOIN people ps ON ps.id = th.super_admin_id
		 WHERE th.ticket_id = ANY($1)
		 ORDER BY th.ticket_id, th.created_at, th.seq`, ticketIDs)
	if err != nil {
		return nil, wrap("threads", err)
	}
	out := make(map[store.ID][]store.Thread, len(ticketIDs))
	for rows.Next() {
		var (
			th               store.Thread
			seen             *time.Time
			superID          *store.ID
			superName        string
			attachments      []string
			created, updated time.Time
		)
		if err := rows.Scan(&th.ID, &th.TicketID, &th.Message, &seen, &superID, &superName,
			&attachments, &created, &updated); err != nil {
			rows.Close()
			return nil, wrap("threads", err)
		}
		if seen != nil {
			at := store.At(*seen)
			th.SeenAt = &at
		}
		if superID != nil {
			th.SuperAdmin = &store.Person{ID: *superID, Name: superName}
		}
		th.Attachments = toIDs(attachments)
		th.CreatedAt, th.UpdatedAt = store.At(created), store.At(updated)
		out[th.TicketID] = append(out[th.TicketID], th)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("threads", err)
	}
	return out, nil
}

// withClient sets the ticket's client on its threads, and never returns nil so that a
// ticket always shows a list.
func withClient(threads []store.Thread, client store.Person) []store.Thread {
	if threads == nil {
		return []store.Thread{}
	}
	for i := range threads {
		threads[i].Client = client
	}
	return threads
}

// insertThread writes one thread; seq, taken at insert, keeps threads that share a
// created_at in the order they were written.
func insertThread(ctx context.Context, tx pgx.Tx, th store.Thread) error {
	var superID *store.ID
	if th.SuperAdmin != nil {
		superID = &th.SuperAdmin.ID
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO threads (id, ticket_id, message, super_admin_id, attachments, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		th.ID, th.TicketID, th.Message, superID, fromIDs(th.Attachments), th.CreatedAt.Time, th.UpdatedAt.Time)
	return wrap("insert thread", err)
}

// AddThread appends a reply to a ticket the caller may see, bumps updatedAt, reopens a
// closed ticket on a client's reply and counts the thread unread for the other side.
func (db *DB) AddThread(ctx context.Context, in store.NewThread) (store.Thread, error) {
	var th store.Thread
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if err := claimKey(ctx, tx, in.Caller.ID, in.Idem); err != nil {
			return err
		}
		// The row lock orders replies to one ticket and the status change they cause.
		var (
			t        store.Ticket
			previous store.Status
		)
		err := tx.QueryRow(ctx, `
			SELECT t.client_id, coalesce(pc.name, ''), t.status
			  FROM tickets t LEFT JOIN people pc ON pc.id = t.client_id
			 WHERE t.id = $1
			   FOR UPDATE OF t`, in.TicketID).Scan(&t.Client.ID, &t.Client.Name, &previous)
		if err != nil {
			return notFound("lock ticket", err)
		}
		if !store.Visible(in.Caller, t.Client.ID) {
			return store.ErrNotFound
		}
		t.ID = in.TicketID
		name, err := ensurePerson(ctx, tx, in.Caller)
		if err != nil {
			return err
		}
		now := db.clock()
		th = newThread(db.ids.New(now.Time), t, in.Caller, name, in.NewThreadBody, now)
		if err := insertThread(ctx, tx, th); err != nil {
			return err
		}
		t.Status = previous
		if store.Reopens(in.Caller, previous) {
			t.Status = store.StatusPending
		}
		toClient, toSupport := unreadDelta(in.Caller.Role, 1)
		if _, err := tx.Exec(ctx, `
			UPDATE tickets SET updated_at = $2, status = $3,
			       unread_client = unread_client + $4, unread_support = unread_support + $5
			 WHERE id = $1`, t.ID, now.Time, t.Status, toClient, toSupport); err != nil {
			return wrap("bump ticket", err)
		}
		if err := insertEvents(ctx, tx, store.ThreadEvents(t, th, previous)); err != nil {
			return err
		}
		return saveReply(ctx, tx, in.Caller.ID, in.Idem, th)
	})
	if err != nil {
		return store.Thread{}, err
	}
	return th, nil
}

// newThread builds a thread written now by c (whose stored name is name) on ticket t.
func newThread(id store.ID, t store.Ticket, c store.Caller, name string, body store.NewThreadBody, now store.Time) store.Thread {
	th := store.Thread{
		ID:          id,
		Message:     body.Message,
		TicketID:    t.ID,
		Client:      t.Client,
		Attachments: append([]store.ID{}, body.Attachments...), // never nil, never the caller's
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if c.Role == store.RoleSuperAdmin {
		th.SuperAdmin = &store.Person{ID: c.ID, Name: name}
	}
	return th
}

// unreadDelta is how n threads written by a writer of role change the two counters:
// what the writer writes is unread for the other side.
func unreadDelta(writer store.Role, n int) (toClient, toSupport int) {
	if writer == store.RoleSuperAdmin {
		return n, 0
	}
	return 0, n
}

func toIDs(ss []string) []store.ID {
	ids := make([]store.ID, len(ss))
	for i, s := range ss {
		ids[i] = store.ID(s)
	}
	return ids
}

func fromIDs(ids []store.ID) []string {
	ss := make([]string, len(ids))
	for i, id := range ids {
		ss[i] = string(id)
	}
	return ss
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// marshal encodes a value of the store's own types.
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("postgres: marshal: %w", err)
	}
	return b, nil
}
