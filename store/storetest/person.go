package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func personTests() []test {
	return []test{
		{"Unknown", func(t *testing.T, s store.Store) {
			if _, _, err := s.Person(t.Context(), missingID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Person(unknown): got error %v, want ErrNotFound", err)
			}
		}},
		{"Remembered", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			for _, c := range []store.Caller{f.acme, f.ann} {
				p, role, err := s.Person(t.Context(), c.ID)
				if err != nil {
					t.Fatalf("Person(%s): %v", c.ID, err)
				}
				if want := (store.Person{ID: c.ID, Name: c.Name}); p != want {
					t.Errorf("Person(%s): got %+v, want %+v", c.ID, p, want)
				}
				if role != c.Role {
					t.Errorf("Person(%s) role: got %s, want %s", c.ID, role, c.Role)
				}
			}
		}},
		{"LatestNameWins", testLatestNameWins},
		{"NewestTokenNameWins", testNewestTokenNameWins},
	}
}

// testLatestNameWins: tickets show people by their latest name, wherever they appear.
func testLatestNameWins(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Printer", "it jams")
	f.reply(f.ann, tk.ID, "try turning it off")
	f.update(f.sam, tk.ID, store.TicketUpdate{Assignee: set(samID)})

	f.remember(store.Caller{ID: acmeID, Name: "Acme Corp", Role: store.RoleClient})
	f.remember(store.Caller{ID: annID, Name: "Ann B.", Role: store.RoleSuperAdmin})
	f.remember(store.Caller{ID: samID, Name: "Samuel", Role: store.RoleSuperAdmin})

	if p, _, err := s.Person(t.Context(), acmeID); err != nil || p.Name != "Acme Corp" {
		t.Errorf("Person(acme): got %+v, %v, want name Acme Corp", p, err)
	}
	got := f.ticket(f.acme, tk.ID)
	listed := f.list(f.ann, store.ListFilter{}).Tickets
	if len(listed) != 1 {
		t.Fatalf("ListTickets: got %d tickets, want 1", len(listed))
	}
	for _, tk := range []store.Ticket{got, listed[0]} {
		if tk.Client.Name != "Acme Corp" {
			t.Errorf("ticket client name: got %q, want %q", tk.Client.Name, "Acme Corp")
		}
		if tk.Assignee == nil || tk.Assignee.Name != "Samuel" {
			t.Errorf("ticket assignee: got %+v, want Samuel", tk.Assignee)
		}
		if len(tk.Threads) != 2 {
			t.Fatalf("ticket threads: got %d, want 2", len(tk.Threads))
		}
		if n := tk.Threads[0].Client.Name; n != "Acme Corp" {
			t.Errorf("threads[0].client name: got %q, want %q", n, "Acme Corp")
		}
		if sa := tk.Threads[1].SuperAdmin; sa == nil || sa.Name != "Ann B." {
			t.Errorf("threads[1].superAdmin: got %+v, want Ann B.", sa)
		}
	}
}

// testNewestTokenNameWins: the name kept is the one of the most recently issued token,
// whatever order the tokens arrive in; a token without an issue time is older than
// any with one, and one issued at the same instant still counts.
func testNewestTokenNameWins(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Printer", "it jams")
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		name string
		at   time.Time
		want string
	}{
		{"Acme New", t0.Add(time.Hour), "Acme New"},
		{"Acme Old", t0, "Acme New"},
		{"Acme Without iat", time.Time{}, "Acme New"},
		{"Acme Same Instant", t0.Add(time.Hour), "Acme Same Instant"},
		{"Acme Newest", t0.Add(2 * time.Hour), "Acme Newest"},
		{"Acme New", t0.Add(time.Hour), "Acme Newest"},
	}
	for _, st := range steps {
		f.remember(store.Caller{ID: acmeID, Name: st.name, Role: store.RoleClient, NameAt: st.at})
		if p, _, err := s.Person(t.Context(), acmeID); err != nil || p.Name != st.want {
			t.Errorf("after %q at %v: Person(acme) got %+v, %v, want name %q", st.name, st.at, p, err, st.want)
		}
	}
	if got := f.ticket(f.ann, tk.ID).Client.Name; got != "Acme Newest" {
		t.Errorf("ticket client name: got %q, want %q", got, "Acme Newest")
	}
}
