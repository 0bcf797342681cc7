package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// insertEvents writes a change's events, unnumbered, in the change's transaction, so
// that an event exists if and only if its change committed. pk follows the order given.
func insertEvents(ctx context.Context, tx pgx.Tx, evs []store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	sql, args := eventsInsert(evs)
	_, err := tx.Exec(ctx, sql, args...)
	return wrap("insert events", err)
}

// queueEvents is insertEvents as a statement of a pipelined transaction's batch.
func queueEvents(b *pgx.Batch, evs []store.Event) {
	if len(evs) > 0 {
		sql, args := eventsInsert(evs)
		b.Queue(sql, args...)
	}
}

func eventsInsert(evs []store.Event) (string, []any) {
	types := make([]string, len(evs))
	tickets := make([]string, len(evs))
	clients := make([]string, len(evs))
	ats := make([]time.Time, len(evs))
	data := make([]*string, len(evs))
	for i, e := range evs {
		types[i], tickets[i], clients[i], ats[i] = string(e.Type), string(e.TicketID), string(e.ClientID), e.At.Time
		if e.Data != nil {
			s := string(e.Data)
			data[i] = &s
		}
	}
	return `
		INSERT INTO events (type, ticket_id, client_id, at, data)
		SELECT type, ticket_id, client_id, at, data::json
		  FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])
		       WITH ORDINALITY AS e(type, ticket_id, client_id, at, data, ord)
		 ORDER BY ord`, []any{types, tickets, clients, ats, data}
}

// scanEvent reads type, ticket_id, client_id, at, data after an optional first column.
func scanEvent(row pgx.Row, first any) (store.Event, error) {
	var (
		e    store.Event
		at   time.Time
		data []byte
	)
	if err := row.Scan(first, &e.Type, &e.TicketID, &e.ClientID, &at, &data); err != nil {
		return store.Event{}, err
	}
	e.At = store.At(at)
	if data != nil {
		e.Data = json.RawMessage(data)
	}
	return e, nil
}

// EventsAfter returns up to limit sequenced events with an id above after, in order.
func (db *DB) EventsAfter(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	return db.eventsAfter(ctx, `
		SELECT id, type, ticket_id, client_id, at, data
		  FROM events WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
}

// ClientEventsAfter is EventsAfter for one client's tickets (index events_client).
func (db *DB) ClientEventsAfter(ctx context.Context, client store.ID, after int64, limit int) ([]store.Event, error) {
	return db.eventsAfter(ctx, `
		SELECT id, type, ticket_id, client_id, at, data
		  FROM events WHERE client_id = $3 AND id > $1 ORDER BY id LIMIT $2`, after, limit, client)
}

func (db *DB) eventsAfter(ctx context.Context, query string, after int64, limit int, args ...any) ([]store.Event, error) {
	if limit <= 0 {
		return []store.Event{}, nil
	}
	return retryRead(ctx, func() ([]store.Event, error) { return db.readEvents(ctx, query, after, limit, args...) })
}

func (db *DB) readEvents(ctx context.Context, query string, after int64, limit int, args ...any) ([]store.Event, error) {
	rows, err := db.pool.Query(ctx, query, append([]any{after, limit}, args...)...)
	if err != nil {
		return nil, wrap("events after", err)
	}
	defer rows.Close()
	evs := []store.Event{} // an empty page is a list, not null
	for rows.Next() {
		var id int64
		e, err := scanEvent(rows, &id)
		if err != nil {
			return nil, wrap("events after", err)
		}
		e.ID = id
		evs = append(evs, e)
	}
	return evs, wrap("events after", rows.Err())
}

// LastEventID is the newest id handed out, 0 before the first.
func (db *DB) LastEventID(ctx context.Context) (int64, error) {
	return retryRead(ctx, func() (int64, error) {
		var last int64
		err := db.pool.QueryRow(ctx, `SELECT last_id FROM event_cursor`).Scan(&last)
		return last, wrap("last event id", err)
	})
}

// pruneChunk is how many events one statement of PruneEvents deletes at most.
const pruneChunk = 10000

// PruneEvents deletes sequenced events older than before. It deletes only the run of
// old events at the start of the log, so that the kept ids stay contiguous from
// the oldest kept: writers' clocks differ a little, and an old event numbered after a
// newer one stays until the newer one goes. Unnumbered events are never pruned.
//
// It deletes in chunks, each its own statement and transaction, each starting after
// the last id the previous one deleted: a log that grew far past the retention (a
// retention shortened, pruning off for a while) would otherwise be one DELETE of
// millions of rows that outlives every timeout and, rolled back, never shrinks the
// log. When ctx ends between chunks, what was deleted stays deleted: the count says
// how much, next to the error.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	chunk := cmp.Or(db.pruneChunk, pruneChunk)
	var total, after int64
	for {
		var n int64
		err := db.pool.QueryRow(ctx, `
			WITH page AS MATERIALIZED (
				SELECT pk, id, at FROM events
				 WHERE id IS NOT NULL AND id > $1 ORDER BY id LIMIT $3),
			gone AS (
				DELETE FROM events e USING page
				 WHERE e.pk = page.pk
				   AND page.id < coalesce((SELECT min(id) FROM page WHERE at >= $2), 9223372036854775807)
				RETURNING e.id)
			SELECT count(*), coalesce(max(id), $1) FROM gone`, after, before, chunk).Scan(&n, &after)
		if err != nil {
			return total, wrap("prune events", err)
		}
		total += n
		if db.hooks.prunedChunk != nil {
			db.hooks.prunedChunk()
		}
		if n < int64(chunk) {
			return total, nil
		}
	}
}
