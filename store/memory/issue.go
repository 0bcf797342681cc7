package memory

import (
	"context"
	"fmt"

	"github.com/supportd/supportd/store"
)

// LinkIssue creates a ticket's issue once. create runs without the store's lock (it
// is a slow call to GitHub), but with the ticket claimed in s.linking: a concurrent
// call waits for the claim to go, then finds the issueUrl and gets ErrIssueExists.
func (s *Store) LinkIssue(ctx context.Context, c store.Caller, id store.ID, create func(context.Context, store.Ticket) (string, error)) (store.Ticket, error) {
	snapshot, release, err := s.claimIssue(ctx, c, id)
	if err != nil {
		return store.Ticket{}, err
	}
	defer release()
	url, err := create(ctx, snapshot)
	if err != nil {
		return store.Ticket{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.visible(c, id)
	if !ok {
		return store.Ticket{}, fmt.Errorf("ticket %s deleted while its issue was made: %w", id, store.ErrNotFound)
	}
	t.IssueURL = &url
	t.UpdatedAt = store.At(s.now())
	s.record(store.UpdatedEvents(s.eventView(t), t.Status))
	return s.view(t, c), nil
}

// claimIssue waits until no other call is linking ticket id, then claims it for the
// caller and returns the ticket as c sees it; release gives the claim back.
func (s *Store) claimIssue(ctx context.Context, c store.Caller, id store.ID) (store.Ticket, func(), error) {
	for {
		s.mu.Lock()
		t, ok := s.visible(c, id)
		if !ok {
			s.mu.Unlock()
			return store.Ticket{}, nil, fmt.Errorf("ticket %s: %w", id, store.ErrNotFound)
		}
		if t.IssueURL != nil {
			s.mu.Unlock()
			return store.Ticket{}, nil, store.ErrIssueExists
		}
		busy, claimed := s.linking[id]
		if !claimed {
			done := make(chan struct{})
			s.linking[id] = done
			v := s.view(t, c)
			s.mu.Unlock()
			release := func() {
				s.mu.Lock()
				delete(s.linking, id)
				s.mu.Unlock()
				close(done)
			}
			return v, release, nil
		}
		s.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return store.Ticket{}, nil, ctx.Err()
		}
	}
}
