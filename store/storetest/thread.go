package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/supportd/supportd/store"
)

func threadTests() []test {
	return []test{
		{"ClientReply", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Question")
			f.drain()
			first := f.lastEventID() + 1
			pause()
			atts := []store.ID{"cccccccccccccccccccccc01"}
			th, _, err := s.AddThread(f.tb.Context(), store.NewThread{Caller: f.acme, TicketID: tk.ID,
				NewThreadBody: store.NewThreadBody{Message: "more details", Attachments: atts}})
			if err != nil {
				t.Fatalf("AddThread: %v", err)
			}
			checkThreadShape(t, th)
			acme := store.Person{ID: acmeID, Name: "Acme"}
			if th.Message != "more details" || th.TicketID != tk.ID || th.Client != acme || th.SuperAdmin != nil || th.SeenAt != nil {
				t.Errorf("thread: got %+v, want message, ticket, client acme, no superAdmin, not seen", th)
			}
			if !slices.Equal(th.Attachments, atts) {
				t.Errorf("attachments: got %v, want %v", th.Attachments, atts)
			}
			if !th.UpdatedAt.Equal(th.CreatedAt.Time) {
				t.Errorf("thread updatedAt: got %v, want createdAt %v", th.UpdatedAt, th.CreatedAt)
			}
			checkReplied(t, f, tk, th, store.StatusPending)
			checkEvents(t, f.sequence(), first, threadAdded(th, acmeID))
		}},
		{"SuperAdminReply", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Question")
			f.drain()
			first := f.lastEventID() + 1
			pause()
			th := f.reply(f.ann, tk.ID, "an answer")
			ann, acme := store.Person{ID: annID, Name: "Ann"}, store.Person{ID: acmeID, Name: "Acme"}
			if th.SuperAdmin == nil || *th.SuperAdmin != ann || th.Client != acme {
				t.Errorf("thread superAdmin, client: got %v, %+v, want %+v, %+v", th.SuperAdmin, th.Client, ann, acme)
			}
			if len(th.Attachments) != 0 {
				t.Errorf("attachments: got %v, want []", th.Attachments)
			}
			checkReplied(t, f, tk, th, store.StatusPending)
			checkEvents(t, f.sequence(), first, threadAdded(th, acmeID))
		}},
		{"Reopen", testReopen},
		{"NotFound", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Acme's")
			f.drain()
			for _, tc := range []struct {
				caller store.Caller
				id     store.ID
			}{{f.globex, tk.ID}, {f.acme, missingID}, {f.ann, missingID}} {
				_, _, err := s.AddThread(f.tb.Context(), store.NewThread{Caller: tc.caller, TicketID: tc.id, NewThreadBody: store.NewThreadBody{Message: "x"}})
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("AddThread(%s by %s): got error %v, want ErrNotFound", tc.id, tc.caller.Name, err)
				}
			}
			sameJSON(t, "ticket after failed replies", f.ticket(f.acme, tk.ID), tk)
			f.noEvents()
		}},
	}
}

// checkReplied checks th is now the last thread of tk and bumped its updatedAt.
func checkReplied(tb testing.TB, f *fixture, before store.Ticket, th store.Thread, status store.Status) {
	tb.Helper()
	after := f.ticket(f.sam, before.ID)
	if !after.UpdatedAt.Equal(th.CreatedAt.Time) || !after.UpdatedAt.After(before.UpdatedAt.Time) {
		tb.Errorf("ticket updatedAt after a reply: got %v, want the reply's createdAt %v (after %v)", after.UpdatedAt, th.CreatedAt, before.UpdatedAt)
	}
	if after.Status != status {
		tb.Errorf("status after a reply: got %s, want %s", after.Status, status)
	}
	if len(after.Threads) != len(before.Threads)+1 {
		tb.Fatalf("threads after a reply: got %d, want %d", len(after.Threads), len(before.Threads)+1)
	}
	sameJSON(tb, "last thread", after.Threads[len(after.Threads)-1], th)
}

// testReopen: only a client's reply reopens, and only a closed ticket.
func testReopen(t *testing.T, s store.Store) {
	for _, status := range store.Statuses {
		for _, role := range []store.Role{store.RoleClient, store.RoleSuperAdmin} {
			t.Run(string(status)+"/"+string(role), func(t *testing.T) {
				f := setup(t, s)
				by := f.acme
				if role == store.RoleSuperAdmin {
					by = f.ann
				}
				tk := f.create(f.acme, "Reopen "+string(status)+" "+string(role))
				if status != store.StatusPending {
					tk = f.setStatus(tk.ID, status)
				}
				f.drain()
				first := f.lastEventID() + 1
				pause()
				th := f.reply(by, tk.ID, "anything new?")
				want := status
				if role == store.RoleClient && status.Closed() {
					want = store.StatusPending
				}
				checkReplied(t, f, tk, th, want)
				evs := []wantEvent{threadAdded(th, acmeID)}
				if want != status {
					after := f.ticket(f.acme, tk.ID)
					evs = append(evs, statusEvents(after, status, f.countsData(f.acme))...)
				}
				checkEvents(t, f.sequence(), first, evs...)
			})
		}
	}
}
