package postgres

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/supportd/supportd/store"
)

// The sequencer writes a counts event's data in SQL: it must be the bytes
// encoding/json writes for the same counts, in the batch the relay publishes and in
// the log that replays and webhooks read, with every status and total right.
func TestCountsEventDataIsWhatEncodingJSONWritesForTheCounts(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	set := func(tk store.Ticket, s store.Status) {
		if _, err := db.UpdateTicket(ctx, agent(0), tk.ID, store.TicketUpdate{Status: &s}); err != nil {
			t.Fatalf("UpdateTicket(%s): %v", s, err)
		}
	}
	for i := range 4 {
		mustCreate(t, db, newTicket(client(1), "one's ticket"))
		if i < 2 {
			mustCreate(t, db, newTicket(client(2), "two's ticket"))
		}
	}
	progress := mustCreate(t, db, newTicket(client(1), "in progress"))
	set(progress, store.StatusProgress)
	set(mustCreate(t, db, newTicket(client(1), "resolved")), store.StatusResolved)
	set(mustCreate(t, db, newTicket(client(2), "cancelled")), store.StatusCancelled)
	mustSequence(t, db)
	set(progress, store.StatusResolved) // the counts event to check

	evs := mustSequence(t, db)
	last := evs[len(evs)-1]
	if last.Type != store.EventCounts {
		t.Fatalf("last event is %s, want counts", last.Type)
	}
	want, err := json.Marshal(store.CountsData{
		Client: store.Counts{All: 6, Open: 4, Closed: 2, Pending: 4, Resolved: 2},
		Global: store.Counts{All: 9, Open: 6, Closed: 3, Pending: 6, Resolved: 2, Cancelled: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(last.Data) != string(want) {
		t.Errorf("sequenced counts data:\n got %s\nwant %s", last.Data, want)
	}
	logged, err := db.EventsAfter(ctx, last.ID-1, 1)
	if err != nil || len(logged) != 1 {
		t.Fatalf("EventsAfter: %d events, %v", len(logged), err)
	}
	if string(logged[0].Data) != string(want) {
		t.Errorf("logged counts data:\n got %s\nwant %s", logged[0].Data, want)
	}
}

// A round with nothing to number returns nothing and writes nothing: the cursor
// row is the version the last numbering wrote (so the COMMIT flushes no WAL).
func TestSequenceEventsWithNothingPendingWritesNothing(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	mustCreate(t, db, newTicket(client(1), "numbered"))
	first := mustSequence(t, db)
	if len(first) == 0 {
		t.Fatal("the create's events were not numbered")
	}
	version := func() string {
		var xmin string
		if err := db.pool.QueryRow(ctx, `SELECT xmin::text FROM event_cursor`).Scan(&xmin); err != nil {
			t.Fatal(err)
		}
		return xmin
	}
	before := version()
	if again := mustSequence(t, db); len(again) != 0 {
		t.Fatalf("a second round numbered %d events, want none", len(again))
	}
	if after := version(); after != before {
		t.Errorf("an empty round rewrote the cursor row (xmin %s, then %s)", before, after)
	}
	newest, err := db.LastEventID(ctx)
	if err != nil || newest != first[len(first)-1].ID {
		t.Fatalf("LastEventID = %d, %v; want %d", newest, err, first[len(first)-1].ID)
	}
	mustCreate(t, db, newTicket(client(1), "next"))
	next := mustSequence(t, db)
	if len(next) == 0 || next[0].ID != newest+1 {
		t.Fatalf("after an empty round the next event got id %v, want %d", next, newest+1)
	}
}
