package memory

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"time"

	"github.com/supportd/supportd/store"
)

// eventLog is the outbox and the log. A change records its events as pending (no id),
// under the same lock as the change, as PostgreSQL writes them in the change's
// transaction; SequenceEvents numbers them later. Ids are thus handed out exactly as
// the PostgreSQL store hands them out, and the relay drives both stores alike.
type eventLog struct {
	pending []store.Event // recorded, not yet sequenced, in commit order
	log     []store.Event // sequenced, by id; pruned from the front
	last    int64         // the newest id ever handed out: never goes back
}

// record adds a change's events to the outbox. Counts data is filled in here, under
// the change's lock: it is exactly the counts right after the change.
func (s *Store) record(evs []store.Event) {
	for _, e := range evs {
		if e.Type == store.EventCounts {
			e.Data = s.countsData(e.ClientID)
		}
		s.events.pending = append(s.events.pending, e)
	}
}

// SequenceEvents numbers the recorded events in commit order and returns them.
func (s *Store) SequenceEvents(context.Context) ([]store.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.events
	for i := range l.pending {
		l.last++
		l.pending[i].ID = l.last
	}
	out := cloneEvents(l.pending)
	l.log = append(l.log, l.pending...)
	l.pending = nil
	return out, nil
}

// EventsAfter returns up to limit sequenced events with an id above after.
func (s *Store) EventsAfter(_ context.Context, after int64, limit int) ([]store.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := s.events.log
	i := sort.Search(len(log), func(i int) bool { return log[i].ID > after })
	end := i + max(limit, 0)
	if end > len(log) {
		end = len(log)
	}
	return cloneEvents(log[i:end]), nil
}

// ClientEventsAfter is EventsAfter for the events of one client's tickets.
func (s *Store) ClientEventsAfter(_ context.Context, client store.ID, after int64, limit int) ([]store.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := s.events.log
	page := []store.Event{}
	for i := sort.Search(len(log), func(i int) bool { return log[i].ID > after }); i < len(log) && len(page) < limit; i++ {
		if log[i].ClientID == client {
			page = append(page, log[i])
		}
	}
	return cloneEvents(page), nil
}

// LastEventID is the newest id handed out, 0 before the first.
func (s *Store) LastEventID(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events.last, nil
}

// PruneEvents deletes the sequenced events older than before. It cuts the log's
// oldest end only (stopping at the first event it keeps), so what is kept is always
// every event from the oldest kept on: a resume either finds all it needs or none.
func (s *Store) PruneEvents(_ context.Context, before time.Time) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	log := s.events.log
	n := 0
	for n < len(log) && log[n].At.Before(before) {
		n++
	}
	if n > 0 {
		// A copy, so the pruned events' memory is freed, not kept under the slice.
		s.events.log = slices.Clone(log[n:])
	}
	return int64(n), nil
}

func cloneEvents(evs []store.Event) []store.Event {
	out := make([]store.Event, len(evs))
	for i, e := range evs {
		e.Data = bytes.Clone(e.Data)
		out[i] = e
	}
	return out
}
