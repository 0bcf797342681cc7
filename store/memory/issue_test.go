package memory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// TestLinkIssueWaitIsCancellable: a call waiting for another's issue gives up with
// its context, and leaves the first call to finish.
func TestLinkIssueWaitIsCancellable(t *testing.T) {
	s := New()
	acme := store.Caller{ID: "aaaaaaaaaaaaaaaaaaaaaaa1", Name: "Acme", Role: store.RoleClient}
	ann := store.Caller{ID: "bbbbbbbbbbbbbbbbbbbbbbb1", Name: "Ann", Role: store.RoleSuperAdmin}
	for _, c := range []store.Caller{acme, ann} {
		if err := s.RememberPerson(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	tk, _, err := s.CreateTicket(t.Context(), store.NewTicket{Caller: acme, Title: "t", Category: "other"})
	if err != nil {
		t.Fatal(err)
	}

	started, finish := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		_, err := s.LinkIssue(t.Context(), ann, tk.ID, func(context.Context, store.Ticket) (string, error) {
			close(started)
			<-finish
			return "https://example.com/1", nil
		})
		firstDone <- err
	}()
	<-started

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err = s.LinkIssue(ctx, ann, tk.ID, func(context.Context, store.Ticket) (string, error) {
		t.Error("second create called while the first runs")
		return "", nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting LinkIssue: got error %v, want context.DeadlineExceeded", err)
	}
	// The store is not held while create runs.
	if _, err := s.Ticket(t.Context(), acme, tk.ID); err != nil {
		t.Errorf("Ticket while an issue is made: %v", err)
	}
	close(finish)
	if err := <-firstDone; err != nil {
		t.Errorf("first LinkIssue: %v", err)
	}
}
