package memory

import (
	"context"
	"fmt"

	"github.com/supportd/supportd/store"
)

// TicketClient returns the client of a ticket c may see.
func (s *Store) TicketClient(_ context.Context, c store.Caller, id store.ID) (store.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.visible(c, id)
	if !ok {
		return "", fmt.Errorf("ticket %s: %w", id, store.ErrNotFound)
	}
	return t.Client.ID, nil
}

// LatestThreads returns the latest n threads of each visible ticket among ids.
func (s *Store) LatestThreads(_ context.Context, c store.Caller, ids []store.ID, n int) (map[store.ID][]store.Thread, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[store.ID][]store.Thread, len(ids))
	for _, id := range ids {
		t, ok := s.visible(c, id)
		if !ok || len(t.Threads) == 0 || n < 1 {
			continue
		}
		out[id] = s.copyWith(t, latest(t.Threads, n)).Threads
	}
	return out, nil
}

// Threads returns up to limit threads of a ticket c may see older than before.
// Threads are appended in the order of their ids, so a thread's index is its place.
func (s *Store) Threads(_ context.Context, c store.Caller, id store.ID, before *store.ID, limit int) (store.ThreadPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.visible(c, id)
	if !ok {
		return store.ThreadPage{}, fmt.Errorf("ticket %s: %w", id, store.ErrNotFound)
	}
	end := len(t.Threads)
	if before != nil {
		ref, ok := s.threads[*before]
		if !ok || ref.ticket != id {
			return store.ThreadPage{}, store.ErrNotThread
		}
		end = ref.index
	}
	start := max(0, end-max(limit, 1))
	return store.ThreadPage{Threads: s.copyWith(t, t.Threads[start:end]).Threads, HasMore: start > 0}, nil
}
