package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func concurrencyTests() []test {
	return []test{
		{"Numbers", testConcurrentNumbers},
		{"Sequencing", testConcurrentSequencing},
		{"Mix", testConcurrentMix},
	}
}

// testConcurrentNumbers: 50 racing inserts get 50 numbers and keep their events whole.
func testConcurrentNumbers(t *testing.T, s store.Store) {
	f := setup(t, s)
	ins := []store.NewTicket{newTicket(f.acme, "a", "m"), newTicket(f.globex, "g", "m"), forClient(f.ann, acmeID, "n", "m")}
	results := make([]result, 50)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Go(func() {
			<-start
			tk, _, err := s.CreateTicket(f.tb.Context(), ins[i%len(ins)])
			results[i] = result{v: tk, err: err}
		})
	}
	close(start)
	wg.Wait()

	seen := map[int64]bool{}
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("CreateTicket: %v", r.err)
		}
		n := r.v.(store.Ticket).Number
		if n < 1001 || seen[n] {
			t.Errorf("number %d: want distinct numbers from 1001", n)
		}
		seen[n] = true
	}
	checkTotal(t, f, 50)

	evs := f.sequence()
	if len(evs) != 150 {
		t.Fatalf("events: got %d, want 150", len(evs))
	}
	order := map[store.ID][]store.EventType{}
	for i, e := range evs {
		if e.ID != int64(i+1) {
			t.Errorf("events[%d] id: got %d, want %d", i, e.ID, i+1)
		}
		order[e.TicketID] = append(order[e.TicketID], e.Type)
	}
	for id, types := range order {
		if want := []store.EventType{store.EventTicketCreated, store.EventThreadAdded, store.EventCounts}; !slices.Equal(types, want) {
			t.Errorf("events of ticket %s: got %v, want %v", id, types, want)
		}
	}
	var last store.CountsData
	if err := jsonDecode(evs[len(evs)-1].Data, &last); err != nil {
		t.Fatalf("counts data: %v", err)
	}
	if want := f.counts(f.ann); last.Global != want || want.All != 50 {
		t.Errorf("last counts event global: got %+v, want %+v with all 50", last.Global, want)
	}
}

// testConcurrentSequencing: sequencing while writes commit hands out every event
// exactly once, numbered without gaps.
func testConcurrentSequencing(t *testing.T, s store.Store) {
	f := setup(t, s)
	var mu sync.Mutex
	var got []store.Event
	done := make(chan struct{})
	var seq, writers sync.WaitGroup
	for range 3 {
		seq.Go(func() {
			for {
				evs, err := s.SequenceEvents(f.tb.Context())
				if err != nil {
					t.Errorf("SequenceEvents: %v", err)
					return
				}
				mu.Lock()
				got = append(got, evs...)
				mu.Unlock()
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	for w := range 5 {
		writers.Go(func() {
			for i := range 8 {
				tk, _, err := s.CreateTicket(f.tb.Context(), newTicket(f.acme, fmt.Sprintf("w%d-%d", w, i), "m"))
				if err != nil {
					t.Errorf("CreateTicket: %v", err)
					return
				}
				if _, _, err := s.AddThread(f.tb.Context(), store.NewThread{Caller: f.ann, TicketID: tk.ID, NewThreadBody: store.NewThreadBody{Message: "r"}}); err != nil {
					t.Errorf("AddThread: %v", err)
				}
			}
		})
	}
	writers.Wait()
	close(done)
	seq.Wait()
	got = append(got, f.sequence()...)

	const want = 5 * 8 * 4 // created, thread.added, counts, thread.added
	ids := make([]int64, 0, len(got))
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	slices.Sort(ids)
	if len(ids) != want {
		t.Errorf("events handed out: got %d, want %d", len(ids), want)
	}
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("event ids handed out: got %d at position %d, want 1..%d each once", id, i, want)
		}
	}
	if n := len(f.eventsAfter(0, 1000)); n != want {
		t.Errorf("EventsAfter(0): got %d, want %d", n, want)
	}
}

// testConcurrentMix runs every kind of write and read at once (run it under -race),
// then checks counts still add up.
func testConcurrentMix(t *testing.T, s store.Store) {
	f := setup(t, s)
	var ids []store.ID
	for i := range 6 {
		c := f.acme
		if i%2 == 1 {
			c = f.globex
		}
		ids = append(ids, f.create(c, fmt.Sprintf("mixed %d", i), "hello").ID)
	}
	ctx := f.tb.Context()
	ok := func(what string, err error) {
		if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrIssueExists) {
			t.Errorf("%s: %v", what, err)
		}
	}
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 10 {
				id := ids[(g+i)%len(ids)]
				st := store.Statuses[(g+i)%len(store.Statuses)]
				client := f.acme
				if (g+i)%len(ids)%2 == 1 {
					client = f.globex
				}
				switch g % 6 {
				case 0:
					_, _, err := s.AddThread(ctx, store.NewThread{Caller: client, TicketID: id, NewThreadBody: store.NewThreadBody{Message: "c"}})
					ok("AddThread", err)
				case 1:
					_, _, err := s.AddThread(ctx, store.NewThread{Caller: f.ann, TicketID: id, NewThreadBody: store.NewThreadBody{Message: "a"}})
					ok("AddThread", err)
				case 2:
					_, err := s.UpdateTicket(ctx, f.sam, id, store.TicketUpdate{Status: &st, Assignee: set(store.ID(samID))})
					ok("UpdateTicket", err)
				case 3:
					tk, err := s.Ticket(ctx, f.ann, id)
					ok("Ticket", err)
					var tids []store.ID
					for _, th := range tk.Threads {
						tids = append(tids, th.ID)
					}
					ok("MarkSeen", s.MarkSeen(ctx, f.ann, tids, time.Now()))
					ok("MarkSeen", s.MarkSeen(ctx, client, tids, time.Now()))
				case 4:
					_, err := s.ListTickets(ctx, client, store.ListFilter{Page: 1, Limit: 10, Sort: store.DefaultSort, Counts: true, Words: []string{"mixed"}})
					ok("ListTickets", err)
					_, _, err = s.CreateTicket(ctx, newTicket(client, "mixed new", "m"))
					ok("CreateTicket", err)
					_, err = s.SequenceEvents(ctx)
					ok("SequenceEvents", err)
				case 5:
					_, err := s.LinkIssue(ctx, f.ann, id, (&createIssue{url: issueURL}).create)
					ok("LinkIssue", err)
					if i == 9 {
						_, err := s.DeleteTickets(ctx, f.ann, ids[:2])
						ok("DeleteTickets", err)
					}
				}
			}
		})
	}
	wg.Wait()

	// Counts kept by the store still match the tickets it holds.
	var want store.Counts
	for _, tk := range f.list(f.ann, store.ListFilter{}).Tickets {
		want.Add(tk.Status, 1)
	}
	if got := f.counts(f.ann); got != want {
		t.Errorf("counts after the mix: got %+v, want %+v", got, want)
	}
	f.drain()
	first := f.lastEventID() + 1
	tk := f.create(f.acme, "last")
	checkEvents(t, f.sequence(), first, createdEvents(tk, f.countsData(f.acme))...)
}
