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
//
// It is one round trip: BEGIN, the lock, one statement that numbers the page and
// returns it, and COMMIT go together. A REST write waits for a round (read-your-
// writes), so every round trip of a round is latency the write answers with; the
// page used to be read, numbered in Go and written back, and a check for pending
// events went first, three round trips in all.
func (db *DB) SequenceEvents(ctx context.Context) ([]store.Event, error) {
	var out []store.Event
	err := db.inPipeline(ctx, func(p *pipeTx) error {
		b := &pgx.Batch{}
		// A page of thousands (a backlog after an outage) is estimated past
		// jit_above_cost, and compiling the statement took 300 ms of a round
		// that otherwise takes one.
		b.Queue(`SET LOCAL jit = off`)
		// The lock is its own statement, so that the next statement's snapshot is
		// taken after it is granted and sees what the previous sequencer committed.
		b.Queue(`SELECT pg_advisory_xact_lock($1)`, sequencerLock)
		b.Queue(numberPageSQL(), sequenceBatch, store.EventCounts).Query(func(rows pgx.Rows) error {
			var evs []store.Event
			for rows.Next() {
				e, err := scanNumbered(rows)
				if err != nil {
					return err
				}
				evs = append(evs, e)
			}
			if err := rows.Err(); err != nil {
				return wrap("number events", err)
			}
			out = evs
			return nil
		})
		p.commitWith(b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// numberPageSQL numbers the oldest page of unnumbered events after the cursor, in pk
// order, moves the cursor past them, fills in the counts events' data and returns
// the page in id order. All of it reads one snapshot, so a counts event carries the
// counts as of the events numbered with it. The cursor moves only when the page has
// events: a round that finds nothing writes nothing, and its COMMIT waits for no WAL
// flush. The cursor is read as a scalar subquery: the planner has no statistics for the
// one-row table and, joined, expected thousands of rows. $1 is the page size (the LIMIT also
// keeps the planner on the partial index events_pending), $2 the counts event type.
//
// The counts are written as encoding/json writes store.CountsData, byte for byte
// (the log keeps payloads as it got them, and replays and webhooks send them on),
// with the totals store.Counts.Add derives from the four statuses.
func numberPageSQL() string {
	return `
	WITH p AS MATERIALIZED (
		SELECT pk, type, client_id, row_number() OVER (ORDER BY pk) AS n
		  FROM (SELECT pk, type, client_id FROM events WHERE id IS NULL ORDER BY pk LIMIT $1) q),
	moved AS (UPDATE event_cursor SET last_id = last_id + (SELECT count(*) FROM p)
	           WHERE EXISTS (SELECT 1 FROM p)),
	g AS MATERIALIZED (SELECT ` + countsJSON("ticket_counts_global", "true") + ` AS js),
	u AS (
		UPDATE events e
		   SET id = (SELECT last_id FROM event_cursor) + p.n,
		       data = CASE WHEN p.type = $2
		              THEN format('{"client":%s,"global":%s}',
		                          ` + countsJSON("ticket_counts", "client_id = p.client_id") + `,
		                          (SELECT js FROM g))::json
		              ELSE e.data END
		  FROM p
		 WHERE e.pk = p.pk
		RETURNING e.id, e.type, e.ticket_id, e.client_id, e.at, e.data)
	SELECT id, type, ticket_id, client_id, at, data FROM u ORDER BY id`
}

// countsJSON is a scalar subquery: the store.Counts JSON of the rows of table where
// cond holds.
func countsJSON(table, cond string) string {
	return `(SELECT format('{"all":%s,"open":%s,"closed":%s,"pending":%s,"progress":%s,"resolved":%s,"cancelled":%s}',
		           pe+pr+re+ca, pe+pr, re+ca, pe, pr, re, ca)
		  FROM (SELECT ` + statusSum(store.StatusPending) + ` AS pe, ` + statusSum(store.StatusProgress) + ` AS pr,
		               ` + statusSum(store.StatusResolved) + ` AS re, ` + statusSum(store.StatusCancelled) + ` AS ca
		          FROM ` + table + ` WHERE ` + cond + `) s)`
}

func statusSum(s store.Status) string {
	return `coalesce(sum(n) FILTER (WHERE status = '` + string(s) + `'), 0)`
}

// scanNumbered reads one numbered event.
func scanNumbered(rows pgx.Rows) (store.Event, error) {
	var (
		e    store.Event
		at   time.Time
		data []byte
	)
	if err := rows.Scan(&e.ID, &e.Type, &e.TicketID, &e.ClientID, &at, &data); err != nil {
		return store.Event{}, wrap("number events", err)
	}
	e.At = store.At(at)
	if data != nil {
		e.Data = json.RawMessage(data)
	}
	return e, nil
}
