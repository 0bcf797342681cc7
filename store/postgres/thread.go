package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// threadColumns and threadFrom read threads with their ticket's client and the agent's
// latest names; scanThreads takes the rows apart. th is a LATERAL subquery over threads
// and t the ticket, whose scope is in the WHERE clause: no thread is read, nor any row
// locked, before its ticket is known to be the caller's.
const (
	threadColumns = `th.id, th.ticket_id, th.message, th.seen_at, th.super_admin_id,
		coalesce(ps.name, ''), th.attachments, th.created_at, th.updated_at,
		t.client_id, coalesce(pc.name, '')`
	threadJoins = `
		LEFT JOIN people ps ON ps.id = th.super_admin_id
		LEFT JOIN people pc ON pc.id = t.client_id`
	// inScope is true for the tickets of the client $2, or every ticket when $2 is null.
	inScope = `($2::text IS NULL OR t.client_id = $2)`
)

// latestThreadsSQL reads the latest $3 threads of each ticket among $1 in scope $2,
// each ticket's oldest first: one backward scan of threads_ticket_order per ticket.
const latestThreadsSQL = `
	SELECT ` + threadColumns + `
	  FROM tickets t
	 CROSS JOIN LATERAL (
	       SELECT * FROM threads th WHERE th.ticket_id = t.id
	        ORDER BY th.created_at DESC, th.id DESC LIMIT $3) th` + threadJoins + `
	 WHERE t.id = ANY($1) AND ` + inScope + `
	 ORDER BY th.ticket_id, th.created_at, th.id`

// LatestThreads returns the latest n threads of each ticket among ids that c may see.
func (db *DB) LatestThreads(ctx context.Context, c store.Caller, ids []store.ID, n int) (map[store.ID][]store.Thread, error) {
	out := make(map[store.ID][]store.Thread, len(ids))
	if len(ids) == 0 || n < 1 {
		return out, nil
	}
	b := &pgx.Batch{}
	queueLatest(b, c, ids, n, out)
	if err := sendBatch(ctx, db.pool, b, "threads"); err != nil {
		return nil, err
	}
	return out, nil
}

// queueLatest is LatestThreads as one statement of a batch, filling out.
func queueLatest(b *pgx.Batch, c store.Caller, ids []store.ID, n int, out map[store.ID][]store.Thread) {
	b.Queue(latestThreadsSQL, ids, clientScope(c), n).Query(func(rows pgx.Rows) error {
		return scanThreads(rows, func(th store.Thread) { out[th.TicketID] = append(out[th.TicketID], th) })
	})
}

// queueThreadsTotal counts the threads of each ticket among ids in c's scope into out.
func queueThreadsTotal(b *pgx.Batch, c store.Caller, ids []store.ID, out map[store.ID]int) {
	b.Queue(`
		SELECT th.ticket_id, count(*)::int
		  FROM tickets t JOIN threads th ON th.ticket_id = t.id
		 WHERE t.id = ANY($1) AND `+inScope+`
		 GROUP BY th.ticket_id`, ids, clientScope(c)).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id store.ID
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				return wrap("threads total", err)
			}
			out[id] = n
		}
		return wrap("threads total", rows.Err())
	})
}

// scanThreads reads rows of threadColumns into each.
func scanThreads(rows pgx.Rows, each func(store.Thread)) error {
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
			&attachments, &created, &updated, &th.Client.ID, &th.Client.Name); err != nil {
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
		each(th)
	}
	return wrap("threads", rows.Err())
}

// orEmpty never returns nil, so that a ticket always shows a list.
func orEmpty(threads []store.Thread) []store.Thread {
	if threads == nil {
		return []store.Thread{}
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
// status change they cause) with the reads, then the writes with the COMMIT. The lock
// is taken only on a ticket in the caller's scope: another client's is never waited for.
func (db *DB) AddThread(ctx context.Context, in store.NewThread) (store.Thread, *store.Replay, error) {
	var th store.Thread
	key := &claim{caller: in.Caller.ID, idem: in.Idem}
	err := db.inPipeline(ctx, func(p *pipeTx) error {
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
			 WHERE t.id = $1 AND `+inScope+`
			   FOR UPDATE OF t`, in.TicketID, clientScope(in.Caller)).QueryRow(func(row pgx.Row) error {
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
		if gone { // missing, or another client's (whose row was neither read nor locked)
			return store.ErrNotFound
		}
		if err := writer.settle(ctx, p); err != nil {
			return err
		}

		t.ID = in.TicketID
		now := db.clock()
		th = store.BuildThread(db.ids.New(now.Time), t, in.Caller, writer.name, in.NewThreadBody, now)
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
	if rep, err := key.result(err); rep != nil || err != nil {
		return store.Thread{}, rep, err
	}
	return th, nil, nil
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

// marshal encodes a value of the store's own types.
func marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("postgres: marshal: %w", err)
	}
	return b, nil
}
