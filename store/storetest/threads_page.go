package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/supportd/supportd/store"
)

func threadPageTests() []test {
	return []test{
		{"LatestAndTotal", testLatestAndTotal},
		{"PagesBackwards", testThreadPages},
		{"NotFoundBeforeBadBefore", testThreadPageErrors},
		{"TicketClient", testTicketClient},
	}
}

// longTicket makes an Acme ticket of n threads m0..m(n-1), written within a few
// milliseconds, so that many share a createdAt and only the id orders them.
func longTicket(f *fixture, n int) store.Ticket {
	f.tb.Helper()
	tk := f.create(f.acme, "Long", "m0")
	for i := 1; i < n; i++ {
		f.reply(f.acme, tk.ID, fmt.Sprintf("m%d", i))
	}
	return tk
}

// wantMessages checks that threads are m(from)..m(to-1), in order.
func wantMessages(tb testing.TB, what string, threads []store.Thread, from, to int) {
	tb.Helper()
	if len(threads) != to-from {
		tb.Fatalf("%s: got %d threads, want %d (m%d..m%d)", what, len(threads), to-from, from, to-1)
	}
	for i, th := range threads {
		if want := fmt.Sprintf("m%d", from+i); th.Message != want {
			tb.Fatalf("%s: threads[%d] is %q, want %q", what, i, th.Message, want)
		}
	}
}

func testLatestAndTotal(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := longTicket(f, store.TicketThreads+5)
	short := f.create(f.acme, "Short", "only")
	for _, c := range []store.Caller{f.acme, f.sam} {
		got := f.ticket(c, tk.ID)
		wantMessages(t, "Ticket by "+c.Name, got.Threads, 5, store.TicketThreads+5)
		if *got.ThreadsTotal != store.TicketThreads+5 {
			t.Errorf("Ticket by %s: threadsTotal %d, want %d", c.Name, *got.ThreadsTotal, store.TicketThreads+5)
		}
		p := f.list(c, store.ListFilter{})
		for _, lt := range p.Tickets {
			switch lt.ID {
			case tk.ID:
				wantMessages(t, "list by "+c.Name, lt.Threads, store.TicketThreads+5-store.ListThreads, store.TicketThreads+5)
				if *lt.ThreadsTotal != store.TicketThreads+5 {
					t.Errorf("list by %s: threadsTotal %d, want %d", c.Name, *lt.ThreadsTotal, store.TicketThreads+5)
				}
			case short.ID:
				if len(lt.Threads) != 1 || *lt.ThreadsTotal != 1 {
					t.Errorf("list by %s: short ticket has %d threads, total %d, want 1 and 1", c.Name, len(lt.Threads), *lt.ThreadsTotal)
				}
			}
		}
	}
	// Unread counts every thread, not only those shown.
	if got := f.ticket(f.sam, tk.ID); *got.Unread != store.TicketThreads+5 {
		t.Errorf("agent's unread: got %d, want %d", *got.Unread, store.TicketThreads+5)
	}
	// Another client's tickets have no threads to give.
	if got, err := s.LatestThreads(t.Context(), f.globex, []store.ID{tk.ID, short.ID}, 5); err != nil || len(got) != 0 {
		t.Errorf("LatestThreads of Acme's tickets by Globex: got %d tickets, %v; want none", len(got), err)
	}
}

func testThreadPages(t *testing.T, s store.Store) {
	f := setup(t, s)
	const n = 105
	tk := longTicket(f, n)
	var before *store.ID
	for i, want := range []struct {
		from, to int
		more     bool
	}{{65, 105, true}, {25, 65, true}, {0, 25, false}} {
		p, err := s.Threads(t.Context(), f.acme, tk.ID, before, 40)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		wantMessages(t, fmt.Sprintf("page %d", i), p.Threads, want.from, want.to)
		if p.HasMore != want.more {
			t.Errorf("page %d hasMore: got %v, want %v", i, p.HasMore, want.more)
		}
		for _, th := range p.Threads {
			checkThreadShape(t, th)
			if th.Client != tk.Client || th.TicketID != tk.ID {
				t.Errorf("page %d thread %s: client %+v of %s, want %+v of %s", i, th.ID, th.Client, th.TicketID, tk.Client, tk.ID)
			}
		}
		if i == 1 {
			// Exactly a page's worth left before m25: no more after it.
			exact, err := s.Threads(t.Context(), f.sam, tk.ID, &p.Threads[0].ID, 25)
			if err != nil || len(exact.Threads) != 25 || exact.HasMore {
				t.Errorf("the 25 before m25: got %d threads, hasMore %v, %v", len(exact.Threads), exact.HasMore, err)
			}
		}
		before = &p.Threads[0].ID
	}
}

func testThreadPageErrors(t *testing.T, s store.Store) {
	f := setup(t, s)
	a := f.create(f.acme, "Acme's", "a0", "a1")
	other := f.create(f.acme, "Other", "o0")
	g := f.create(f.globex, "Globex's", "g0")
	tests := []struct {
		name   string
		caller store.Caller
		id     store.ID
		before *store.ID
		want   error
	}{
		{"missing ticket", f.acme, missingID, nil, store.ErrNotFound},
		{"missing ticket, bad before", f.acme, missingID, &other.Threads[0].ID, store.ErrNotFound},
		{"another client's", f.globex, a.ID, nil, store.ErrNotFound},
		{"another client's, its own before", f.globex, a.ID, &g.Threads[0].ID, store.ErrNotFound},
		{"another ticket's thread", f.acme, a.ID, &other.Threads[0].ID, store.ErrNotThread},
		{"no such thread", f.ann, a.ID, ptr(missingID), store.ErrNotThread},
		{"the oldest: an empty page", f.acme, a.ID, &a.Threads[0].ID, nil},
	}
	for _, tc := range tests {
		p, err := s.Threads(t.Context(), tc.caller, tc.id, tc.before, 10)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got error %v, want %v", tc.name, err, tc.want)
		}
		if tc.want == nil && (p.Threads == nil || len(p.Threads) != 0 || p.HasMore) {
			t.Errorf("%s: got %v threads (nil: %v), hasMore %v, want an empty list", tc.name, len(p.Threads), p.Threads == nil, p.HasMore)
		}
	}
}

func testTicketClient(t *testing.T, s store.Store) {
	f := setup(t, s)
	a := f.create(f.acme, "Acme's")
	for _, c := range []store.Caller{f.acme, f.ann} {
		if got, err := s.TicketClient(t.Context(), c, a.ID); err != nil || got != a.Client.ID {
			t.Errorf("TicketClient by %s: got %s, %v; want %s", c.Name, got, err, a.Client.ID)
		}
	}
	for name, id := range map[string]store.ID{"another client's": a.ID, "missing": missingID} {
		if _, err := s.TicketClient(t.Context(), f.globex, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TicketClient of a %s ticket: got %v, want ErrNotFound", name, err)
		}
	}
}
