package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// sequencerLock is the pg_advisory_xact_lock key that makes sequencers take turns,
// whichever instance they run on. Any constant no other code of the database uses.
const sequencerLock int64 = 0x5e0_e7e7_1d

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

// SequenceEvents numbers the committed events that have no id yet and returns them.
//
// Ids follow commit order because numbering happens after commit, one sequencer at a
// time: under the advisory lock, a fresh READ COMMITTED snapshot sees every event whose
// transaction committed before it, numbers them after every id handed out before, and
// commits before the next sequencer may look. An event that commits later is not in
// the snapshot and gets a higher id in a later run. So a reader who has seen id N has
// seen, or will find above its position, every event committed before N's: none can
// appear below N afterwards. Counts events get their data here, read in the snapshot
// that found them, so that they reflect every change numbered before them.
func (db *DB) SequenceEvents(ctx context.Context) ([]store.Event, error) {
	// Most calls find nothing to do: check without taking the lock.
	var pending bool
	// ORDER BY pk LIMIT steers the planner to the partial index even without fresh
	// statistics; a plain EXISTS may scan the whole (bloated) log.
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id IS NULL ORDER BY pk LIMIT 1)`).Scan(&pending); err != nil {
		return nil, wrap("pending events", err)
	}
	if !pending {
		return nil, nil
	}
	var out []store.Event
	// Two round trips: the lock with every read, then the numbering with the COMMIT.
	err := db.inPipeline(ctx, func(p *pipeTx) error {
		var (
			last     int64
			evs      []store.Event
			pks      []int64
			byClient = map[store.ID]store.Counts{}
			global   store.Counts
		)
		b := &pgx.Batch{}
		// The lock is its own statement, so that the next statements' snapshots are
		// taken after it is granted and see what the previous sequencer committed.
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, sequencerLock)
		b.Queue(`SELECT last_id FROM event_cursor`).QueryRow(func(row pgx.Row) error {
			return wrap("event cursor", row.Scan(&last))
		})
		// One statement, so that the counts are read in the page's snapshot, and only
		// for the page's counts events: reading them for the whole backlog would make
		// draining a backlog quadratic. MATERIALIZED: the page is read once, however
		// often the statement refers to it.
		b.Queue(`
			WITH p AS MATERIALIZED (
				SELECT pk, type, ticket_id, client_id, at, data
				  FROM events WHERE id IS NULL ORDER BY pk LIMIT $1),
			g AS (
				SELECT array_agg(status) AS statuses, array_agg(n) AS ns FROM (
					SELECT status, sum(n)::bigint AS n FROM ticket_counts_global
					 WHERE EXISTS (SELECT 1 FROM p WHERE type = $2) GROUP BY status) s)
			SELECT p.pk, p.type, p.ticket_id, p.client_id, p.at, p.data, c.statuses, c.ns,
			       CASE WHEN p.type = $2 THEN g.statuses END, CASE WHEN p.type = $2 THEN g.ns END
			  FROM p CROSS JOIN g
			  CROSS JOIN LATERAL (
				SELECT array_agg(status) AS statuses, array_agg(n) AS ns FROM (
					SELECT status, sum(n)::bigint AS n FROM ticket_counts
					 WHERE client_id = p.client_id AND p.type = $2 GROUP BY status) s) c
			 ORDER BY p.pk`, sequenceBatch, store.EventCounts).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var (
					e                store.Event
					pk               int64
					at               time.Time
					data             []byte
					cStatus, gStatus []string
					cN, gN           []int64
				)
				if err := rows.Scan(&pk, &e.Type, &e.TicketID, &e.ClientID, &at, &data,
					&cStatus, &cN, &gStatus, &gN); err != nil {
					return wrap("pending events", err)
				}
				e.At = store.At(at)
				if data != nil {
					e.Data = json.RawMessage(data)
				}
				if e.Type == store.EventCounts {
					var c store.Counts
					for i, s := range cStatus {
						c.Add(store.Status(s), cN[i])
					}
					byClient[e.ClientID] = c
					if gStatus != nil {
						global = store.Counts{}
						for i, s := range gStatus {
							global.Add(store.Status(s), gN[i])
						}
					}
				}
				evs, pks = append(evs, e), append(pks, pk)
			}
			return wrap("pending events", rows.Err())
		})
		if err := p.batch(ctx, b); err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		ids := make([]int64, len(evs))
		data := make([]*string, len(evs))
		for i := range evs {
			last++
			evs[i].ID, ids[i] = last, last
			if evs[i].Type == store.EventCounts {
				d, err := marshal(store.CountsData{Client: byClient[evs[i].ClientID], Global: global})
				if err != nil {
					return err
				}
				evs[i].Data = d
				s := string(d)
				data[i] = &s
			}
		}
		b = &pgx.Batch{}
		b.Queue(`
			UPDATE events e SET id = u.id, data = coalesce(u.data::json, e.data)
			  FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(pk, id, data)
			 WHERE e.pk = u.pk`, pks, ids, data)
		b.Queue(`UPDATE event_cursor SET last_id = $1`, last)
		p.commitWith(b)
		out = evs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sequenceBatch bounds one sequencing transaction; the relay calls again while
// batches come back non-empty. The LIMIT also keeps the planner on the partial index.
const sequenceBatch = 5000

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

// PruneEvents deletes sequenced events older than before. It deletes only the run of
// old events at the start of the log, so that the kept ids stay contiguous from
// the oldest kept: writers' clocks differ a little, and an old event numbered after a
// newer one stays until the newer one goes. Unnumbered events are never pruned.
func (db *DB) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	tag, err := db.pool.Exec(ctx, `
		DELETE FROM events
		 WHERE id IS NOT NULL AND at < $1
		   AND id < coalesce((SELECT min(id) FROM events WHERE id IS NOT NULL AND at >= $1),
		                     (SELECT last_id + 1 FROM event_cursor))`, before)
	if err != nil {
		return 0, wrap("prune events", err)
	}
	return tag.RowsAffected(), nil
}
