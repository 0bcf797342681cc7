package memory

import (
	"context"
	"time"

	"github.com/supportd/supportd/store"
)

// MarkSeen sets seenAt, once, on the threads among ids that c may see and that the
// other side wrote, and records one threads.seen event per ticket that changed.
// Neither the ticket's nor the thread's updatedAt moves: the event says all that
// changed, so a client applying it stays in step with the store.
func (s *Store) MarkSeen(_ context.Context, c store.Caller, ids []store.ID, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seenAt := store.At(at)
	var order []store.ID // tickets in the order their threads were named
	changed := map[store.ID][]store.ID{}
	for _, id := range ids {
		ref, ok := s.threads[id]
		if !ok {
			continue
		}
		t := s.tickets[ref.ticket]
		th := &t.Threads[ref.index]
		if !store.Visible(c, t.Client.ID) || !store.SeeableBy(c, *th) {
			continue // not c's to see, c's own side's, or seen already (also a repeat in ids)
		}
		th.SeenAt = store.ClonePtr(&seenAt)
		if _, ok := changed[t.ID]; !ok {
			order = append(order, t.ID)
		}
		changed[t.ID] = append(changed[t.ID], id)
	}
	for _, id := range order {
		s.record([]store.Event{store.SeenEvent(*s.tickets[id], changed[id], seenAt)})
	}
	return nil
}
