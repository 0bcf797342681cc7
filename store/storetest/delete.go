package storetest

import (
	"cmp"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func deleteTests() []test {
	return []test{
		{"WithThreads", testDeleteWithThreads},
		{"SkipsWhatTheCallerCannotSee", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a := f.create(f.acme, "Acme's")
			g := f.create(f.globex, "Globex's")
			f.drain()
			first := f.lastEventID() + 1
			n, err := s.DeleteTickets(f.tb.Context(), f.globex, []store.ID{a.ID, g.ID, missingID, g.ID})
			if err != nil || n != 1 {
				t.Errorf("DeleteTickets by globex: got %d, %v, want 1, nil", n, err)
			}
			sameJSON(t, "acme's ticket after globex's delete", f.ticket(f.acme, a.ID), a)
			checkEvents(t, f.sequence(), first, deletedEvent(g), countsEvent(g.ID, globexID, f.countsData(f.globex)))
		}},
		{"NothingVisible", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a := f.create(f.acme, "Acme's")
			f.drain()
			for _, ids := range [][]store.ID{{a.ID}, {missingID}, {}} {
				if n, err := s.DeleteTickets(f.tb.Context(), f.globex, ids); err != nil || n != 0 {
					t.Errorf("DeleteTickets(%v) by globex: got %d, %v, want 0, nil", ids, n, err)
				}
			}
			f.ticket(f.acme, a.ID)
			f.noEvents()
		}},
		{"SuperAdminAcrossClients", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a1, g1, a2 := f.create(f.acme, "a1"), f.create(f.globex, "g1"), f.create(f.acme, "a2")
			kept := f.create(f.globex, "kept")
			f.drain()
			first := f.lastEventID() + 1
			n, err := s.DeleteTickets(f.tb.Context(), f.ann, []store.ID{a1.ID, g1.ID, a2.ID})
			if err != nil || n != 3 {
				t.Errorf("DeleteTickets by ann: got %d, %v, want 3, nil", n, err)
			}
			// The deletes and the counts are sets: compare them in a fixed order.
			deleted := []store.Ticket{a1, g1, a2}
			slices.SortFunc(deleted, func(x, y store.Ticket) int {
				return cmp.Or(cmp.Compare(x.Client.ID, y.Client.ID), cmp.Compare(x.ID, y.ID))
			})
			var want []wantEvent
			for _, tk := range deleted {
				want = append(want, deletedEvent(tk))
			}
			want = append(want, countsEvent("", acmeID, f.countsData(f.acme)), countsEvent("", globexID, f.countsData(f.globex)))
			checkEvents(t, sortRuns(f.sequence()), first, want...)
			if got := f.list(f.sam, store.ListFilter{}).Tickets; len(got) != 1 || got[0].ID != kept.ID {
				t.Errorf("tickets left: got %v, want only %d", ticketNumbers(got), kept.Number)
			}
		}},
	}
}

func testDeleteWithThreads(t *testing.T, s store.Store) {
	f := setup(t, s)
	a := f.create(f.acme, "Doomed", "zebra crossing", "second")
	f.reply(f.ann, a.ID, "an answer")
	b := f.create(f.acme, "Survivor")
	a = f.ticket(f.acme, a.ID)
	f.drain()
	first := f.lastEventID() + 1

	n, err := s.DeleteTickets(f.tb.Context(), f.acme, []store.ID{a.ID})
	if err != nil || n != 1 {
		t.Fatalf("DeleteTickets: got %d, %v, want 1, nil", n, err)
	}
	checkEvents(t, f.sequence(), first, deletedEvent(a), countsEvent(a.ID, acmeID, f.countsData(f.acme)))

	for _, c := range []store.Caller{f.acme, f.ann} {
		if _, err := s.Ticket(f.tb.Context(), c, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Ticket(deleted) by %s: got error %v, want ErrNotFound", c.Name, err)
		}
	}
	if got := f.list(f.acme, store.ListFilter{}).Tickets; len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("tickets left: got %v, want only %d", ticketNumbers(got), b.Number)
	}
	if p := f.list(f.ann, store.ListFilter{Words: []string{"zebra"}}); p.Total != 0 {
		t.Errorf("search for a deleted thread's words: got %d tickets, want 0", p.Total)
	}
	_, _, err = s.AddThread(f.tb.Context(), store.NewThread{Caller: f.acme, TicketID: a.ID, NewThreadBody: store.NewThreadBody{Message: "hello?"}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddThread(deleted): got error %v, want ErrNotFound", err)
	}
	var threadIDs []store.ID
	for _, th := range a.Threads {
		threadIDs = append(threadIDs, th.ID)
	}
	f.markSeen(f.ann, time.Now(), threadIDs...)
	f.markSeen(f.acme, time.Now(), threadIDs...)
	f.noEvents()
	if n, err := s.DeleteTickets(f.tb.Context(), f.acme, []store.ID{a.ID}); err != nil || n != 0 {
		t.Errorf("DeleteTickets(deleted again): got %d, %v, want 0, nil", n, err)
	}
}
