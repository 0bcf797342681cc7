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
	out := make(map[store.ID][]store.Thread, len(ticketIDs))
	b := &pgx.Batch{}
	queueThreads(b, ticketIDs, out)
	if err := sendBatch(ctx, q, b, "threads"); err != nil {
		return nil, err
	}
	return out, nil
}

// queueThreads is loadThreads as one statement of a batch, filling out.
func queueThreads(b *pgx.Batch, ticketIDs []store.ID, out map[store.ID][]store.Thread) {
	b.Queue(`
		SELECT th.id, th.ticket_id, th.message, th.seen_at, th.super_admin_id,
		       coalesce(ps.name, ''), th.attachments, th.created_at, th.updated_at
		  FROM threads th
		  LEFT JOIN people ps ON ps.id = th.super_admin_id
		 WHERE th.ticket_id = ANY($1)
		 ORDER BY th.ticket_id, th.created_at, th.seq`, ticketIDs).Query(func(rows pgx.Rows) error {
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
				return wrap("threads", err)
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
		return wrap("threads", rows.Err())
	})
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

// queueThread writes one thread in a pipelined batch; seq, taken at insert, keeps
// threads that share a created_at in the order they were written.
func queueThread(b *pgx.Batch, th store.Thread) {
	var superID *store.ID
	if th.SuperAdmin != nil {
		superID = &th.SuperAdmin.ID
	}
	b.Queue(`
		INSERT INTO threads (id, ticket_id, message, super_admin_id, attachments, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		th.ID, th.TicketID, th.Message, superID, fromIDs(th.Attachments), th.CreatedAt.Time, th.UpdatedAt.Time)
}

// AddThread appends a reply to a ticket the caller may see, bumps updatedAt, reopens a
// closed ticket on a client's reply and counts the thread unread for the other side.
//
// Two round trips: the ticket's row lock (it orders replies to one ticket and the
// status change they cause) with the reads, then the writes with the COMMIT.
func (db *DB) AddThread(ctx context.Context, in store.NewThread) (store.Thread, error) {
	var th store.Thread
	err := db.inPipeline(ctx, func(p *pipeTx) error {
		key := &claim{caller: in.Caller.ID, idem: in.Idem}
		writer := &writerName{c: in.Caller}
		var (
			t        store.Ticket
			previous store.Status
			gone     bool
		)
		b := &pgx.Batch{}
		key.queue(b)
		b.Queue(`
			SELECT t.client_id, coalesce(pc.name, ''), t.status
			  FROM tickets t LEFT JOIN people pc ON pc.id = t.client_id
			 WHERE t.id = $1
			   FOR UPDATE OF t`, in.TicketID).QueryRow(func(row pgx.Row) error {
			// No ticket is told after the key: a replay wins over a ticket gone since.
			return absent("lock ticket", row.Scan(&t.Client.ID, &t.Client.Name, &previous), &gone)
		})
		writer.queue(b)
		if err := p.batch(ctx, b); err != nil {
			return err
		}
		if err := key.settle(ctx, p); err != nil {
			return err
		}
		if gone || !store.Visible(in.Caller, t.Client.ID) {
			return store.ErrNotFound
		}
		if err := writer.settle(ctx, p); err != nil {
			return err
		}

		t.ID = in.TicketID
		now := db.clock()
		th = newThread(db.ids.New(now.Time), t, in.Caller, writer.name, in.NewThreadBody, now)
		t.Status = previous
		if store.Reopens(in.Caller, previous) {
			t.Status = store.StatusPending
		}
		toClient, toSupport := unreadDelta(in.Caller.Role, 1)
		b = &pgx.Batch{}
		queueThread(b, th)
		b.Queue(`
			UPDATE tickets SET updated_at = $2, status = $3,
			       unread_client = unread_client + $4, unread_support = unread_support + $5
			 WHERE id = $1`, t.ID, now.Time, t.Status, toClient, toSupport)
		queueEvents(b, store.ThreadEvents(t, th, previous))
		if err := key.saveReply(b, th); err != nil {
			return err
		}
		p.commitWith(b)
		return nil
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
