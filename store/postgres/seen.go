package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// MarkSeen sets seenAt, once, on the threads among ids that c may see and that were
// written by the other side, lowers the tickets' unread counters to match, and records
// one threads.seen event per ticket that changed, listing its threads in the order
// given. Nothing changed, no event. Being read is not an edit: neither the threads'
// nor the tickets' updatedAt moves (lists sorted by updatedAt stay put).
func (db *DB) MarkSeen(ctx context.Context, c store.Caller, threadIDs []store.ID, at time.Time) error {
	if len(threadIDs) == 0 {
		return nil
	}
	seenAt := store.At(at)
	return db.inTx(ctx, func(tx pgx.Tx) error {
		cands, err := seeable(ctx, tx, c, threadIDs)
		if err != nil || len(cands) == 0 {
			return err
		}
		tickets := make([]store.ID, 0, len(cands))
		for _, cand := range cands {
			tickets = append(tickets, cand.ticket)
		}
		slices.Sort(tickets)
		tickets = slices.Compact(tickets)
		// Lock the tickets (in id order, like every multi-ticket write) before their
		// threads, as AddThread and DeleteTickets do: one lock order, no deadlock. It
		// also makes two concurrent MarkSeen of one thread take turns, and the second
		// finds seen_at set and changes nothing.
		if _, err := tx.Exec(ctx, `
			SELECT 1 FROM tickets WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`, tickets); err != nil {
			return wrap("lock tickets", err)
		}
		ids := make([]store.ID, len(cands))
		for i, cand := range cands {
			ids[i] = cand.id
		}
		rows, err := tx.Query(ctx, `
			UPDATE threads SET seen_at = $2
			 WHERE id = ANY($1) AND seen_at IS NULL
			RETURNING id`, ids, seenAt.Time)
		if err != nil {
			return wrap("mark seen", err)
		}
		changed, err := pgx.CollectRows(rows, pgx.RowTo[store.ID])
		if err != nil {
			return wrap("mark seen", err)
		}
		return recordSeen(ctx, tx, c, cands, changed, seenAt)
	})
}

// candidate is a thread that c may mark seen, as read before the tickets were locked.
type candidate struct {
	id, ticket, client store.ID
}

// seeable reads the threads among ids that c may see and mark seen (store.SeeableBy),
// in the order of ids, each once. c's scope is in the WHERE clause, so another
// client's threads are not read (and their tickets not locked after).
func seeable(ctx context.Context, tx pgx.Tx, c store.Caller, ids []store.ID) ([]candidate, error) {
	rows, err := tx.Query(ctx, `
		SELECT th.id, th.ticket_id, t.client_id, th.super_admin_id IS NOT NULL, th.seen_at IS NOT NULL
		  FROM threads th JOIN tickets t ON t.id = th.ticket_id
		 WHERE th.id = ANY($1) AND `+inScope, ids, clientScope(c))
	if err != nil {
		return nil, wrap("threads to see", err)
	}
	found := map[store.ID]candidate{}
	for rows.Next() {
		var (
			cand        candidate
			byAgent     bool
			alreadySeen bool
		)
		if err := rows.Scan(&cand.id, &cand.ticket, &cand.client, &byAgent, &alreadySeen); err != nil {
			rows.Close()
			return nil, wrap("threads to see", err)
		}
		th := store.Thread{}
		if byAgent {
			th.SuperAdmin = &store.Person{}
		}
		if alreadySeen {
			th.SeenAt = &store.Time{}
		}
		if store.Visible(c, cand.client) && store.SeeableBy(c, th) {
			found[cand.id] = cand
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("threads to see", err)
	}
	var out []candidate
	for _, id := range ids {
		if cand, ok := found[id]; ok {
			out = append(out, cand)
			delete(found, id)
		}
	}
	return out, nil
}

// recordSeen lowers the unread counters of the tickets whose threads changed and
// writes their threads.seen events, tickets in the order their first thread was given.
func recordSeen(ctx context.Context, tx pgx.Tx, c store.Caller, cands []candidate, changed []store.ID, at store.Time) error {
	if len(changed) == 0 {
		return nil
	}
	isChanged := make(map[store.ID]bool, len(changed))
	for _, id := range changed {
		isChanged[id] = true
	}
	var (
		order    []candidate // the first changed thread of each ticket
		byTicket = map[store.ID][]store.ID{}
	)
	for _, cand := range cands {
		if !isChanged[cand.id] {
			continue
		}
		if _, ok := byTicket[cand.ticket]; !ok {
			order = append(order, cand)
		}
		byTicket[cand.ticket] = append(byTicket[cand.ticket], cand.id)
	}
	ticketIDs := make([]store.ID, len(order))
	counts := make([]int, len(order))
	evs := make([]store.Event, len(order))
	for i, cand := range order {
		ticketIDs[i], counts[i] = cand.ticket, len(byTicket[cand.ticket])
		t := store.Ticket{ID: cand.ticket, Client: store.Person{ID: cand.client}}
		evs[i] = store.SeenEvent(t, byTicket[cand.ticket], at)
	}
	// The threads were written by the other side, so the caller's side's counter drops.
	column := "unread_support"
	if c.Role == store.RoleClient {
		column = "unread_client"
	}
	if _, err := tx.Exec(ctx, `
		UPDATE tickets t SET `+column+` = t.`+column+` - d.n
		  FROM unnest($1::text[], $2::int[]) AS d(id, n)
		 WHERE t.id = d.id`, ticketIDs, counts); err != nil {
		return wrap("unread counters", err)
	}
	return insertEvents(ctx, tx, evs)
}
