package storetest

import (
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func eventTests() []test {
	return []test{
		{"Empty", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			if got := f.lastEventID(); got != 0 {
				t.Errorf("LastEventID: got %d, want 0", got)
			}
			f.noEvents()
			if got := f.eventsAfter(0, 10); len(got) != 0 {
				t.Errorf("EventsAfter(0): got %d events, want none", len(got))
			}
		}},
		{"NumberedOnlyWhenSequenced", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			f.create(f.acme, "one")
			if got := f.lastEventID(); got != 0 {
				t.Errorf("LastEventID before SequenceEvents: got %d, want 0", got)
			}
			if got := f.eventsAfter(0, 10); len(got) != 0 {
				t.Errorf("EventsAfter before SequenceEvents: got %d events (%s), want none", len(got), eventTypes(got))
			}
			evs := f.sequence()
			if len(evs) != 3 {
				t.Fatalf("SequenceEvents: got %d events (%s), want 3", len(evs), eventTypes(evs))
			}
			if got := f.lastEventID(); got != 3 {
				t.Errorf("LastEventID: got %d, want 3", got)
			}
			sameJSON(t, "EventsAfter(0)", f.eventsAfter(0, 10), evs)
			f.noEvents()
		}},
		{"EveryChange", testEveryChange},
		{"BatchInCommitOrder", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a := f.create(f.acme, "a")
			th := f.reply(f.ann, a.ID, "answer")
			b := f.create(f.globex, "b")
			evs := f.sequence()
			want := []struct {
				typ    store.EventType
				ticket store.ID
			}{
				{store.EventTicketCreated, a.ID}, {store.EventThreadAdded, a.ID}, {store.EventCounts, a.ID},
				{store.EventThreadAdded, th.TicketID},
				{store.EventTicketCreated, b.ID}, {store.EventThreadAdded, b.ID}, {store.EventCounts, b.ID},
			}
			if len(evs) != len(want) {
				t.Fatalf("events: got %d (%s), want %d", len(evs), eventTypes(evs), len(want))
			}
			for i, w := range want {
				if e := evs[i]; e.ID != int64(i+1) || e.Type != w.typ || e.TicketID != w.ticket {
					t.Errorf("events[%d]: got %d %s %s, want %d %s %s", i, e.ID, e.Type, e.TicketID, i+1, w.typ, w.ticket)
				}
			}
		}},
		{"Pages", testEventPages},
		{"ClientEventsAfter", testClientEvents},
		{"Prune", testPrune},
		{"PruneKeepsUnsequenced", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			f.create(f.acme, "one")
			f.drain()
			f.create(f.acme, "two")
			n, err := s.PruneEvents(t.Context(), time.Now().Add(time.Hour))
			if err != nil || n != 3 {
				t.Errorf("PruneEvents(everything): got %d, %v, want 3, nil", n, err)
			}
			if got := f.sequence(); len(got) != 3 || got[0].ID != 4 {
				t.Errorf("SequenceEvents after pruning: got %d events from id %d, want 3 from 4", len(got), firstID(got))
			}
		}},
	}
}

func firstID(evs []store.Event) int64 {
	if len(evs) == 0 {
		return 0
	}
	return evs[0].ID
}

// testEveryChange walks through every kind of change, checking the events of each and
// then the whole log.
func testEveryChange(t *testing.T, s store.Store) {
	f := setup(t, s)
	var all []store.Event
	next := int64(1)
	step := func(name string, want func() []wantEvent) {
		t.Helper()
		evs := f.sequence()
		w := want() // outside t.Run: it may fail f's test
		t.Run(name, func(t *testing.T) { checkEvents(t, evs, next, w...) })
		all = append(all, evs...)
		next += int64(len(evs))
	}

	t1 := f.create(f.acme, "t1", "q1", "q2")
	step("client creates", func() []wantEvent { return createdEvents(t1, f.countsData(f.acme)) })
	t2 := f.createWith(forClient(f.ann, globexID, "t2", "notice"))
	step("super admin creates", func() []wantEvent { return createdEvents(t2, f.countsData(f.globex)) })
	c1 := f.reply(f.acme, t1.ID, "more")
	step("client replies", func() []wantEvent { return []wantEvent{threadAdded(c1, acmeID)} })
	a1 := f.reply(f.ann, t1.ID, "answer")
	step("super admin replies", func() []wantEvent { return []wantEvent{threadAdded(a1, acmeID)} })
	resolved := f.setStatus(t1.ID, store.StatusResolved)
	step("status", func() []wantEvent {
		return append([]wantEvent{updatedEvent(resolved)}, statusEvents(resolved, store.StatusPending, f.countsData(f.acme))...)
	})
	c2 := f.reply(f.acme, t1.ID, "still broken")
	step("reopen", func() []wantEvent {
		return append([]wantEvent{threadAdded(c2, acmeID)}, statusEvents(f.ticket(f.acme, t1.ID), store.StatusResolved, f.countsData(f.acme))...)
	})
	renamed := f.update(f.ann, t2.ID, store.TicketUpdate{Title: ptr("t2 renamed")})
	step("update", func() []wantEvent { return []wantEvent{updatedEvent(renamed)} })
	linked, err := s.LinkIssue(t.Context(), f.sam, t2.ID, (&createIssue{url: issueURL}).create)
	if err != nil {
		t.Fatalf("LinkIssue: %v", err)
	}
	step("link issue", func() []wantEvent { return []wantEvent{updatedEvent(linked)} })
	at := time.Now()
	f.markSeen(f.acme, at, a1.ID)
	step("seen", func() []wantEvent {
		return []wantEvent{{store.EventThreadsSeen, t1.ID, acmeID, store.SeenData{ThreadIDs: []store.ID{a1.ID}, SeenAt: store.At(at)}}}
	})
	if n, err := s.DeleteTickets(t.Context(), f.ann, []store.ID{t1.ID}); err != nil || n != 1 {
		t.Fatalf("DeleteTickets: got %d, %v, want 1, nil", n, err)
	}
	step("delete", func() []wantEvent {
		return []wantEvent{deletedEvent(t1), countsEvent(t1.ID, acmeID, f.countsData(f.acme))}
	})

	f.noEvents()
	if got := f.lastEventID(); got != next-1 {
		t.Errorf("LastEventID: got %d, want %d", got, next-1)
	}
	sameJSON(t, "EventsAfter(0) after every change", f.eventsAfter(0, 1000), all)
}

func testEventPages(t *testing.T, s store.Store) {
	f := setup(t, s)
	for i := range 4 {
		f.create(f.acme, "paged", "m")
		if i%2 == 0 {
			f.drain()
		}
	}
	all := append(f.eventsAfter(0, 1000), f.sequence()...)
	if len(all) != 12 {
		t.Fatalf("events: got %d, want 12", len(all))
	}
	tests := []struct {
		after    int64
		limit    int
		from, to int // all[from:to]
	}{
		{0, 3, 0, 3},
		{3, 3, 3, 6},
		{10, 3, 10, 12},
		{12, 3, 12, 12},
		{0, 100, 0, 12},
		{5, 1, 5, 6},
		{40, 10, 12, 12},
	}
	for _, tc := range tests {
		got := f.eventsAfter(tc.after, tc.limit)
		sameJSON(t, "EventsAfter page", got, all[tc.from:tc.to])
	}
	// Paging through in small steps gives the whole log, in order.
	var paged []store.Event
	for after := int64(0); ; {
		page := f.eventsAfter(after, 5)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	sameJSON(t, "EventsAfter paged through", paged, all)
}

func testClientEvents(t *testing.T, s store.Store) {
	f := setup(t, s)
	f.create(f.acme, "a1")
	f.create(f.globex, "g1")
	f.create(f.acme, "a2")
	all := f.sequence()
	var acme []store.Event
	for _, ev := range all {
		if ev.ClientID == f.acme.ID {
			acme = append(acme, ev)
		}
	}
	if len(acme) != 6 {
		t.Fatalf("acme's events: got %d, want 6", len(acme))
	}
	f.create(f.acme, "a3") // its events are not sequenced, so no read may return them
	got, err := s.ClientEventsAfter(t.Context(), f.acme.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "ClientEventsAfter(acme, 0)", got, acme)
	got, err = s.ClientEventsAfter(t.Context(), f.acme.ID, acme[2].ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "ClientEventsAfter(acme, third, 2)", got, acme[3:5])
	got, err = s.ClientEventsAfter(t.Context(), missingID, 0, 100)
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("ClientEventsAfter(unknown): got %v, %v; want an empty list", got, err)
	}
	for _, limit := range []int{0, -1} {
		got, err = s.ClientEventsAfter(t.Context(), f.acme.ID, 0, limit)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("ClientEventsAfter(acme, 0, %d): got %v, %v; want an empty list", limit, got, err)
		}
	}
}

func testPrune(t *testing.T, s store.Store) {
	f := setup(t, s)
	f.create(f.acme, "old")
	old := f.sequence()
	pause()
	f.create(f.acme, "new")
	recent := f.sequence()
	if len(old) != 3 || len(recent) != 3 {
		t.Fatalf("events: got %d and %d, want 3 and 3", len(old), len(recent))
	}
	// Cut at the first recent event's own time, so the test needs no shared clock.
	n, err := s.PruneEvents(t.Context(), recent[0].At.Time)
	if err != nil || n != 3 {
		t.Errorf("PruneEvents(old): got %d, %v, want 3, nil", n, err)
	}
	if got := f.lastEventID(); got != 6 {
		t.Errorf("LastEventID after pruning: got %d, want 6", got)
	}
	sameJSON(t, "EventsAfter(0) after pruning", f.eventsAfter(0, 100), recent)

	n, err = s.PruneEvents(t.Context(), recent[2].At.Add(time.Millisecond))
	if err != nil || n != 3 {
		t.Errorf("PruneEvents(everything): got %d, %v, want 3, nil", n, err)
	}
	if got := f.lastEventID(); got != 6 {
		t.Errorf("LastEventID after pruning everything: got %d, want 6", got)
	}
	if got := f.eventsAfter(0, 100); len(got) != 0 {
		t.Errorf("EventsAfter(0) after pruning everything: got %d events, want none", len(got))
	}
	if n, err := s.PruneEvents(t.Context(), time.Now().Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("PruneEvents(nothing left): got %d, %v, want 0, nil", n, err)
	}
	f.create(f.acme, "after")
	if got := f.sequence(); len(got) != 3 || got[0].ID != 7 {
		t.Errorf("SequenceEvents after pruning: got %d events from id %d, want 3 from 7", len(got), firstID(got))
	}
}
