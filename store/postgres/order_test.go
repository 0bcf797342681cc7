package postgres

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// TestEventIDsFollowCommitOrder overlaps two writes so that the one that inserted its
// events first (lower pk, as a BIGSERIAL id would be) commits last, and checks that
// ids follow commit order and that a reader who saw the later write's ids still finds
// every event of the earlier-inserted one above them.
func TestEventIDsFollowCommitOrder(t *testing.T) {
	ctx := context.Background()
	fast, url := newTestDB(t)
	slow := openTestDB(t, url)
	inserted, release := make(chan struct{}), make(chan struct{})
	slow.hooks.beforeCommit = func(context.Context) error {
		close(inserted) // the events are written, not committed
		<-release
		return nil
	}

	var (
		a    store.Ticket
		errA error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		a, _, errA = slow.CreateTicket(ctx, newTicket(client(1), "inserted first, committed last"))
	}()
	select {
	case <-inserted:
	case <-done:
		t.Fatalf("CreateTicket a ended before its commit: %v", errA)
	}
	b := mustCreate(t, fast, newTicket(client(2), "inserted second, committed first"))

	first := mustSequence(t, fast)
	if len(first) == 0 {
		t.Fatal("SequenceEvents after b's commit: got no events, want b's")
	}
	for _, e := range first {
		if e.TicketID != b.ID {
			t.Errorf("SequenceEvents before a's commit: got an event of ticket %s, want only b's (%s)", e.TicketID, b.ID)
		}
	}
	// A reader catches up now and remembers where it stopped.
	read, err := fast.EventsAfter(ctx, 0, 1000)
	if err != nil {
		t.Fatalf("EventsAfter: %v", err)
	}
	readerAt := read[len(read)-1].ID

	close(release)
	<-done
	if errA != nil {
		t.Fatalf("CreateTicket a: %v", errA)
	}
	second := mustSequence(t, fast)
	if len(second) == 0 || second[0].TicketID != a.ID {
		t.Fatalf("SequenceEvents after a's commit: got %d events, want a's", len(second))
	}

	// The overlap really happened: a's rows were inserted before b's.
	var aMaxPK, bMinPK int64
	if err := fast.pool.QueryRow(ctx, `
		SELECT (SELECT max(pk) FROM events WHERE ticket_id = $1),
		       (SELECT min(pk) FROM events WHERE ticket_id = $2)`, a.ID, b.ID).Scan(&aMaxPK, &bMinPK); err != nil {
		t.Fatal(err)
	}
	if aMaxPK >= bMinPK {
		t.Fatalf("a's events (max pk %d) were not inserted before b's (min pk %d): the test did not overlap", aMaxPK, bMinPK)
	}
	for _, e := range second {
		if e.ID <= readerAt {
			t.Errorf("event %d (%s of a) numbered at or below %d, which a reader had already passed", e.ID, e.Type, readerAt)
		}
	}
	// The reader resumes and misses nothing.
	rest, err := fast.EventsAfter(ctx, readerAt, 1000)
	if err != nil {
		t.Fatalf("EventsAfter: %v", err)
	}
	if len(rest) != len(second) {
		t.Errorf("EventsAfter(%d): got %d events, want a's %d", readerAt, len(rest), len(second))
	}
}

// TestReadersNeverMissEvents races writers whose commits are delayed at random against
// sequencers and a reader that follows the log with EventsAfter from where it last
// stopped: at the end the reader must have seen every event exactly once, in id order.
func TestReadersNeverMissEvents(t *testing.T) {
	ctx := context.Background()
	db, url := newTestDB(t)
	writers := make([]*DB, 4)
	for i := range writers {
		writers[i] = openTestDB(t, url)
		writers[i].hooks.beforeCommit = func(context.Context) error {
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			return nil
		}
	}
	const perWriter = 15
	var wg sync.WaitGroup
	errs := make(chan error, len(writers)*perWriter+16)
	for i, w := range writers {
		wg.Go(func() {
			for range perWriter {
				if _, _, err := w.CreateTicket(ctx, newTicket(client(i), "race")); err != nil {
					errs <- err
				}
				if _, err := w.SequenceEvents(ctx); err != nil {
					errs <- err
				}
			}
		})
	}
	stop := make(chan struct{})
	readerDone := make(chan []store.Event)
	go func() {
		var got []store.Event
		var at int64
		for {
			evs, err := db.EventsAfter(ctx, at, 50)
			if err != nil {
				errs <- err
			}
			got = append(got, evs...)
			if len(evs) > 0 {
				at = evs[len(evs)-1].ID
			}
			select {
			case <-stop:
				if len(evs) == 0 {
					readerDone <- got
					return
				}
			default:
			}
		}
	}()
	wg.Wait()
	mustSequence(t, db)
	close(stop)
	got := <-readerDone
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := db.EventsAfter(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	// 1 ticket.created + 1 thread.added + 1 counts per create.
	if want := len(writers) * perWriter * 3; len(all) != want {
		t.Fatalf("events in the log: got %d, want %d", len(all), want)
	}
	if len(got) != len(all) {
		t.Fatalf("reader following the log saw %d events, the log has %d: it missed some", len(got), len(all))
	}
	for i := range all {
		if got[i].ID != all[i].ID || all[i].ID != int64(i+1) {
			t.Fatalf("event %d: reader saw id %d, log has %d, want %d", i, got[i].ID, all[i].ID, i+1)
		}
	}
	if last, _ := db.LastEventID(ctx); last != int64(len(all)) {
		t.Errorf("LastEventID: got %d, want %d", last, len(all))
	}
}
