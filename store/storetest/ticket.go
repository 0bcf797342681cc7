package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/supportd/supportd/store"
)

func ticketTests() []test {
	return []test{
		{"NotFound", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Acme's")
			tests := []struct {
				name   string
				caller store.Caller
				id     store.ID
			}{
				{"missing by client", f.acme, missingID},
				{"missing by super admin", f.ann, missingID},
				{"another client's", f.globex, tk.ID},
			}
			for _, tc := range tests {
				if _, err := s.Ticket(t.Context(), tc.caller, tc.id); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("Ticket(%s): got error %v, want ErrNotFound", tc.name, err)
				}
			}
		}},
		{"EverySuperAdminSees", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a, g := f.create(f.acme, "Acme's"), f.create(f.globex, "Globex's")
			for _, tk := range []store.Ticket{a, g} {
				for _, c := range []store.Caller{f.ann, f.sam} {
					got := f.ticket(c, tk.ID)
					if got.ID != tk.ID || got.Client != tk.Client {
						t.Errorf("Ticket(%s by %s): got %s of %+v, want %s of %+v", tk.ID, c.Name, got.ID, got.Client, tk.ID, tk.Client)
					}
				}
			}
		}},
		{"ThreadsOldestFirst", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Chatty", "m0", "m1")
			// No pause: threads made within one millisecond keep their order too.
			for i := 2; i < 8; i++ {
				c := f.acme
				if i%2 == 1 {
					c = f.ann
				}
				f.reply(c, tk.ID, fmt.Sprintf("m%d", i))
			}
			got := f.ticket(f.sam, tk.ID)
			if len(got.Threads) != 8 {
				t.Fatalf("threads: got %d, want 8", len(got.Threads))
			}
			for i, th := range got.Threads {
				if want := fmt.Sprintf("m%d", i); th.Message != want {
					t.Errorf("threads[%d].message: got %q, want %q", i, th.Message, want)
				}
			}
		}},
		{"ReturnsCopies", testReturnsCopies},
	}
}

// testReturnsCopies: changing what a store returned must not change the store.
func testReturnsCopies(t *testing.T, s store.Store) {
	f := setup(t, s)
	in := newTicket(f.acme, "Original", "hello")
	in.Subject = ptr("subject")
	in.Threads[0].Attachments = []store.ID{"cccccccccccccccccccccc01"}
	created := f.createWith(in)
	f.update(f.ann, created.ID, store.TicketUpdate{Assignee: set(annID)})
	want := f.ticket(f.acme, created.ID)

	// Nil checks keep a wrong store from panicking the suite: shapes are checked elsewhere.
	scribble := func(tk store.Ticket) {
		tk.Title = "changed"
		if tk.Subject != nil {
			*tk.Subject = "changed"
		}
		if tk.Assignee != nil {
			tk.Assignee.Name = "changed"
		}
		if tk.ThreadsTotal != nil {
			*tk.ThreadsTotal = -1
		}
		for i := range tk.Threads {
			th := &tk.Threads[i]
			th.Message = "changed"
			th.Client.Name = "changed"
			for j := range th.Attachments {
				th.Attachments[j] = missingID
			}
		}
	}
	scribble(created)
	scribble(f.ticket(f.acme, created.ID))
	for _, tk := range f.list(f.acme, store.ListFilter{}).Tickets {
		scribble(tk)
	}
	in.Threads[0].Attachments[0] = missingID
	*in.Subject = "changed"
	th := f.reply(f.acme, created.ID, "second")
	th.Attachments = append(th.Attachments, missingID)

	got := f.ticket(f.acme, created.ID)
	got.Threads, got.ThreadsTotal = got.Threads[:1], want.ThreadsTotal
	got.UpdatedAt = want.UpdatedAt
	sameJSON(t, "Ticket() after scribbling on returned values", got, want)
}
