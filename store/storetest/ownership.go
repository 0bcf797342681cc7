package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// promptly bounds how long a call about another client's ticket may take while that
// ticket is held: ownership is decided before any wait, so it should take milliseconds.
const promptly = time.Second

func ownershipTests() []test {
	return []test{
		{"ForeignTicketHeldIsNotWaitedFor", testForeignHeld},
	}
}

// testForeignHeld holds Acme's ticket the way a slow writer does (LinkIssue keeps it
// locked while create runs) and checks that every call Globex makes about it answers
// not found at once instead of queueing behind the holder.
func testForeignHeld(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Held", "a0")
	held, release := make(chan struct{}), make(chan struct{})
	linked := make(chan error, 1)
	go func() {
		_, err := s.LinkIssue(t.Context(), f.ann, tk.ID, func(context.Context, store.Ticket) (string, error) {
			close(held)
			<-release
			return "https://github.com/acme/support/issues/1", nil
		})
		linked <- err
	}()
	<-held
	defer func() {
		close(release)
		if err := <-linked; err != nil {
			t.Errorf("LinkIssue: %v", err)
		}
	}()

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	g := f.globex
	calls := map[string]func() error{
		"Ticket":       func() error { _, err := s.Ticket(ctx, g, tk.ID); return err },
		"TicketClient": func() error { _, err := s.TicketClient(ctx, g, tk.ID); return err },
		"Threads":      func() error { _, err := s.Threads(ctx, g, tk.ID, nil, 10); return err },
		"UpdateTicket": func() error { _, err := s.UpdateTicket(ctx, g, tk.ID, store.TicketUpdate{Title: ptr("x")}); return err },
		"LinkIssue":    func() error { _, err := s.LinkIssue(ctx, g, tk.ID, nil); return err },
		"AddThread": func() error {
			_, _, err := s.AddThread(ctx, store.NewThread{Caller: g, TicketID: tk.ID, NewThreadBody: store.NewThreadBody{Message: "x"}})
			return err
		},
		"DeleteTickets": func() error {
			if n, err := s.DeleteTickets(ctx, g, []store.ID{tk.ID}); err != nil || n != 0 {
				return errors.Join(err, errors.New("deleted another client's ticket"))
			}
			return store.ErrNotFound
		},
		"MarkSeen": func() error {
			if err := s.MarkSeen(ctx, g, []store.ID{tk.Threads[0].ID}, time.Now()); err != nil {
				return err
			}
			return store.ErrNotFound
		},
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if d := time.Since(start); d > promptly {
			t.Errorf("%s of a held foreign ticket took %v, want under %v", name, d, promptly)
		}
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a foreign ticket: got %v, want ErrNotFound", name, err)
		}
	}
}
