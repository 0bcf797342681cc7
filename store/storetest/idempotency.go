package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/supportd/supportd/store"
)

func idempotencyTests() []test {
	return []test{
		{"CreateReplays", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			in := withKey(newTicket(f.acme, "Once", "hello"), "k1", "h1")
			tk := f.createWith(in)
			f.drain()
			for range 2 {
				_, rep, err := s.CreateTicket(f.tb.Context(), in)
				checkReplay(t, "CreateTicket again", rep, err, tk)
			}
			checkTotal(t, f, 1)
			f.noEvents()
		}},
		{"CreateMismatch", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			f.createWith(withKey(newTicket(f.acme, "Once", "hello"), "k1", "h1"))
			f.drain()
			_, _, err := s.CreateTicket(f.tb.Context(), withKey(newTicket(f.acme, "Other", "hello"), "k1", "h2"))
			if !errors.Is(err, store.ErrIdempotencyMismatch) {
				t.Errorf("CreateTicket with a reused key: got error %v, want ErrIdempotencyMismatch", err)
			}
			checkTotal(t, f, 1)
			f.noEvents()
		}},
		{"ThreadReplays", testThreadReplays},
		{"OneKeySpaceForBothCreates", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.createWith(withKey(newTicket(f.acme, "Once", "hello"), "k1", "h1"))
			_, _, err := s.AddThread(f.tb.Context(), store.NewThread{Caller: f.acme, TicketID: tk.ID,
				NewThreadBody: store.NewThreadBody{Message: "x"}, Idem: &store.Idempotency{Key: "k1", Hash: "h2"}})
			if !errors.Is(err, store.ErrIdempotencyMismatch) {
				t.Errorf("AddThread with a key used by CreateTicket: got error %v, want ErrIdempotencyMismatch", err)
			}
		}},
		{"PerCaller", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a := f.createWith(withKey(newTicket(f.acme, "Same", "hello"), "k1", "h1"))
			g := f.createWith(withKey(newTicket(f.globex, "Same", "hello"), "k1", "h1"))
			n := f.createWith(withKey(forClient(f.ann, acmeID, "Same", "hello"), "k1", "h1"))
			if a.ID == g.ID || a.ID == n.ID {
				t.Errorf("ticket ids: got %s, %s, %s, want three tickets", a.ID, g.ID, n.ID)
			}
			checkTotal(t, f, 3)
		}},
		{"WithoutKeyCreatesEveryTime", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			in := newTicket(f.acme, "Twice", "hello")
			f.createWith(in)
			f.createWith(in)
			checkTotal(t, f, 2)
		}},
		{"FailuresAreForgotten", testIdemFailuresAreForgotten},
		{"CreateRace", testCreateRace},
		{"ThreadRace", testThreadRace},
	}
}

func testThreadReplays(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Question")
	in := store.NewThread{Caller: f.acme, TicketID: tk.ID, NewThreadBody: store.NewThreadBody{Message: "again"},
		Idem: &store.Idempotency{Key: "k1", Hash: "h1"}}
	th, _, err := s.AddThread(f.tb.Context(), in)
	if err != nil {
		t.Fatalf("AddThread: %v", err)
	}
	f.drain()
	_, rep, err := s.AddThread(f.tb.Context(), in)
	checkReplay(t, "AddThread again", rep, err, th)
	other := in
	other.Idem = &store.Idempotency{Key: "k1", Hash: "h2"}
	if _, _, err := s.AddThread(f.tb.Context(), other); !errors.Is(err, store.ErrIdempotencyMismatch) {
		t.Errorf("AddThread with a reused key: got error %v, want ErrIdempotencyMismatch", err)
	}
	if n := len(f.ticket(f.acme, tk.ID).Threads); n != 2 {
		t.Errorf("threads: got %d, want 2", n)
	}
	f.noEvents()
}

func testIdemFailuresAreForgotten(t *testing.T, s store.Store) {
	f := setup(t, s)
	g := f.create(f.globex, "Globex's")
	for _, id := range []store.ID{missingID, g.ID} {
		_, _, err := s.AddThread(f.tb.Context(), store.NewThread{Caller: f.acme, TicketID: id,
			NewThreadBody: store.NewThreadBody{Message: "x"}, Idem: &store.Idempotency{Key: "k1", Hash: "h1"}})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AddThread(%s): got error %v, want ErrNotFound", id, err)
		}
	}
	forNobody := withKey(forClient(f.ann, missingID, "for nobody", "hello"), "k3", "h3")
	if _, _, err := s.CreateTicket(f.tb.Context(), forNobody); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CreateTicket for an unknown client: got error %v, want ErrNotFound", err)
	}
	f.createWith(withKey(forClient(f.ann, acmeID, "for acme", "hello"), "k3", "h3"))
	tk := f.createWith(withKey(newTicket(f.acme, "After failures", "hello"), "k1", "h2"))
	_, _, err := s.AddThread(f.tb.Context(), store.NewThread{Caller: f.acme, TicketID: tk.ID,
		NewThreadBody: store.NewThreadBody{Message: "x"}, Idem: &store.Idempotency{Key: "k2", Hash: "h1"}})
	if err != nil {
		t.Errorf("AddThread with a key whose first use failed: %v", err)
	}
}

func testCreateRace(t *testing.T, s store.Store) {
	f := setup(t, s)
	in := withKey(newTicket(f.acme, "Raced", "hello"), "k1", "h1")
	results := race(10, func() (any, *store.Replay, error) { return s.CreateTicket(f.tb.Context(), in) })
	checkRace(t, results)
	checkTotal(t, f, 1)
	if evs := f.sequence(); len(evs) != 3 {
		t.Errorf("events: got %d (%s), want 3", len(evs), eventTypes(evs))
	}
}

func testThreadRace(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Question")
	in := store.NewThread{Caller: f.acme, TicketID: tk.ID, NewThreadBody: store.NewThreadBody{Message: "again"},
		Idem: &store.Idempotency{Key: "k1", Hash: "h1"}}
	results := race(10, func() (any, *store.Replay, error) { return s.AddThread(f.tb.Context(), in) })
	checkRace(t, results)
	if n := len(f.ticket(f.acme, tk.ID).Threads); n != 2 {
		t.Errorf("threads: got %d, want 2", n)
	}
}

func withKey(in store.NewTicket, key, hash string) store.NewTicket {
	in.Idem = &store.Idempotency{Key: key, Hash: hash}
	return in
}

func checkTotal(tb testing.TB, f *fixture, want int64) {
	tb.Helper()
	if got := f.list(f.ann, store.ListFilter{}).Total; got != want {
		tb.Errorf("tickets: got %d, want %d", got, want)
	}
}

// checkReplay checks that a create answered with a replay of original's JSON.
func checkReplay(tb testing.TB, what string, rep *store.Replay, err error, original any) {
	tb.Helper()
	if err != nil || rep == nil {
		tb.Errorf("%s: got replay %v, error %v, want a replay", what, rep, err)
		return
	}
	sameJSON(tb, what+": replayed body", rep.Body, original)
}

type result struct {
	v   any
	rep *store.Replay
	err error
}

// race runs call n times at once.
func race(n int, call func() (any, *store.Replay, error)) []result {
	out := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range out {
		wg.Go(func() {
			<-start
			v, rep, err := call()
			out[i] = result{v, rep, err}
		})
	}
	close(start)
	wg.Wait()
	return out
}

// checkRace checks that one call created and every other replayed what it made.
func checkRace(tb testing.TB, results []result) {
	tb.Helper()
	var created any
	for _, r := range results {
		if r.err == nil && r.rep == nil {
			if created != nil {
				tb.Errorf("racing calls with one key: got two successes, want one")
			}
			created = r.v
		}
	}
	if created == nil {
		tb.Fatalf("racing calls with one key: got no success, want one (errors: %v)", results)
	}
	for _, r := range results {
		if r.err != nil || r.rep != nil {
			checkReplay(tb, "racing call", r.rep, r.err, created)
		}
	}
}
