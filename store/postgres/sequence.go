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

// sequenceBatch bounds one sequencing transaction; the relay calls again while
// batches come back non-empty. The LIMIT also keeps the planner on the partial index.
const sequenceBatch = 5000

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
	if pending, err := db.eventsPending(ctx); err != nil || !pending {
		return nil, err
	}
	var out []store.Event
	// Two round trips: the lock with every read, then the numbering with the COMMIT.
	err := db.inPipeline(ctx, func(p *pipeTx) error {
		page := &pendingPage{byClient: map[store.ID]store.Counts{}}
		b := &pgx.Batch{}
		page.queue(b)
		if err := p.batch(ctx, b); err != nil {
			return err
		}
		if len(page.evs) == 0 {
			return nil
		}
		b, err := page.number()
		if err != nil {
			return err
		}
		p.commitWith(b)
		out = page.evs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eventsPending tells whether any event waits for an id: most calls find nothing to
// do, and this check takes no lock.
func (db *DB) eventsPending(ctx context.Context) (bool, error) {
	var pending bool
	// ORDER BY pk LIMIT steers the planner to the partial index even without fresh
	// statistics; a plain EXISTS may scan the whole (bloated) log.
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE id IS NULL ORDER BY pk LIMIT 1)`).Scan(&pending); err != nil {
		return false, wrap("pending events", err)
	}
	return pending, nil
}

// pendingPage is one page of unnumbered events, read under the sequencer's lock, with
// the counts its counts events carry and the last id handed out before it.
type pendingPage struct {
	last     int64
	evs      []store.Event
	pks      []int64
	byClient map[store.ID]store.Counts
	global   store.Counts
}

// queue queues the lock and the page's reads.
func (pg *pendingPage) queue(b *pgx.Batch) {
	// The lock is its own statement, so that the next statements' snapshots are
	// taken after it is granted and see what the previous sequencer committed.
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, sequencerLock)
	b.Queue(`SELECT last_id FROM event_cursor`).QueryRow(func(row pgx.Row) error {
		return wrap("event cursor", row.Scan(&pg.last))
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
			if err := pg.scan(rows); err != nil {
				return err
			}
		}
		return wrap("pending events", rows.Err())
	})
}

// scan reads one event of the page, and for a counts event its client's counts and
// the global ones.
func (pg *pendingPage) scan(rows pgx.Rows) error {
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
		pg.byClient[e.ClientID] = countsOf(cStatus, cN)
		if gStatus != nil {
			pg.global = countsOf(gStatus, gN)
		}
	}
	pg.evs, pg.pks = append(pg.evs, e), append(pg.pks, pk)
	return nil
}

func countsOf(statuses []string, ns []int64) store.Counts {
	var c store.Counts
	for i, s := range statuses {
		c.Add(store.Status(s), ns[i])
	}
	return c
}

// number gives the page's events the ids after the cursor, fills in the counts
// events' data, and returns the writes that store both, to commit.
func (pg *pendingPage) number() (*pgx.Batch, error) {
	ids := make([]int64, len(pg.evs))
	data := make([]*string, len(pg.evs))
	for i := range pg.evs {
		pg.last++
		pg.evs[i].ID, ids[i] = pg.last, pg.last
		if pg.evs[i].Type == store.EventCounts {
			d, err := marshal(store.CountsData{Client: pg.byClient[pg.evs[i].ClientID], Global: pg.global})
			if err != nil {
				return nil, err
			}
			pg.evs[i].Data = d
			s := string(d)
			data[i] = &s
		}
	}
	b := &pgx.Batch{}
	b.Queue(`
		UPDATE events e SET id = u.id, data = coalesce(u.data::json, e.data)
		  FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS u(pk, id, data)
		 WHERE e.pk = u.pk`, pg.pks, ids, data)
	b.Queue(`UPDATE event_cursor SET last_id = $1`, pg.last)
	return b, nil
}
