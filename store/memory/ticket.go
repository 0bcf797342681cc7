package memory

import (
	"context"
	"fmt"

	"github.com/supportd/supportd/store"
)

// CreateTicket inserts a ticket with its first threads, written by the caller.
func (s *Store) CreateTicket(_ context.Context, in store.NewTicket) (store.Ticket, *store.Replay, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if rep, err := s.idem.check(in.Caller.ID, in.Idem, now); rep != nil || err != nil {
		return store.Ticket{}, rep, err
	}
	owner := in.Owner()
	client, ok := s.people[owner]
	if !ok {
		return store.Ticket{}, nil, fmt.Errorf("client %s: %w", owner, store.ErrNotFound)
	}

	at := store.At(now)
	s.number++
	t := &store.Ticket{
		ID:        s.ids.New(now),
		Title:     in.Title,
		Subject:   store.ClonePtr(in.Subject),
		Category:  in.Category,
		Status:    store.StatusPending,
		Number:    s.number,
		API:       store.ClonePtr(in.API),
		Client:    store.Person{ID: owner, Name: client.name},
		CreatedAt: at,
		UpdatedAt: at,
	}
	s.tickets[t.ID] = t
	for _, body := range in.Threads {
		s.appendThread(t, in.Caller, body, at)
	}
	s.count(owner, store.StatusPending, 1)
	s.record(store.CreatedEvents(s.eventView(t)))

	out := s.view(t, in.Caller)
	s.idem.remember(in.Caller.ID, in.Idem, out, now)
	return out, nil, nil
}

// appendThread adds a thread written by c at the end of t's conversation.
func (s *Store) appendThread(t *store.Ticket, c store.Caller, body store.NewThreadBody, at store.Time) {
	th := store.BuildThread(s.ids.New(at.Time), *t, c, c.Name, body, at)
	s.threads[th.ID] = threadRef{ticket: t.ID, index: len(t.Threads)}
	t.Threads = append(t.Threads, th)
}

// Ticket returns one ticket as c sees it.
func (s *Store) Ticket(_ context.Context, c store.Caller, id store.ID) (store.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.visible(c, id)
	if !ok {
		return store.Ticket{}, fmt.Errorf("ticket %s: %w", id, store.ErrNotFound)
	}
	return s.view(t, c), nil
}

// AddThread appends a reply; a client's reply reopens a closed ticket.
func (s *Store) AddThread(_ context.Context, in store.NewThread) (store.Thread, *store.Replay, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if rep, err := s.idem.check(in.Caller.ID, in.Idem, now); rep != nil || err != nil {
		return store.Thread{}, rep, err
	}
	t, ok := s.visible(in.Caller, in.TicketID)
	if !ok {
		return store.Thread{}, nil, fmt.Errorf("ticket %s: %w", in.TicketID, store.ErrNotFound)
	}

	at := store.At(now)
	s.appendThread(t, in.Caller, in.NewThreadBody, at)
	previous := t.Status
	if store.Reopens(in.Caller, t.Status) {
		s.setStatus(t, store.StatusPending)
	}
	t.UpdatedAt = at
	v := s.eventView(t)
	out := v.Threads[len(v.Threads)-1]
	s.record(store.ThreadEvents(v, out, previous))

	s.idem.remember(in.Caller.ID, in.Idem, out, now)
	return out, nil, nil
}

// UpdateTicket applies a PUT.
func (s *Store) UpdateTicket(_ context.Context, c store.Caller, id store.ID, u store.TicketUpdate) (store.Ticket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.visible(c, id)
	if !ok {
		return store.Ticket{}, fmt.Errorf("ticket %s: %w", id, store.ErrNotFound)
	}
	var assignee *store.Person
	if u.Assignee.Set && u.Assignee.Value != nil {
		p, ok := s.people[*u.Assignee.Value]
		if !ok {
			return store.Ticket{}, fmt.Errorf("assignee %s: %w", *u.Assignee.Value, store.ErrNotFound)
		}
		assignee = &store.Person{ID: *u.Assignee.Value, Name: p.name}
	}

	previous := store.ApplyUpdate(t, u)
	if t.Status != previous {
		s.moved(t.Client.ID, previous, t.Status)
	}
	if u.Assignee.Set {
		t.Assignee = assignee
	}
	t.UpdatedAt = store.At(s.now())
	s.record(store.UpdatedEvents(s.eventView(t), previous))
	return s.view(t, c), nil
}

// DeleteTickets deletes the tickets among ids that c may see, with their threads.
func (s *Store) DeleteTickets(_ context.Context, c store.Caller, ids []store.ID) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []store.Ticket
	for _, id := range ids {
		t, ok := s.visible(c, id)
		if !ok {
			continue // missing, another client's, or named twice
		}
		gone = append(gone, s.eventView(t))
		for _, th := range t.Threads {
			delete(s.threads, th.ID)
		}
		delete(s.tickets, id)
		s.count(t.Client.ID, t.Status, -1)
	}
	// Counts data is read when recording: after every deletion, as after a commit.
	s.record(store.DeletedEvents(gone, store.At(s.now())))
	return len(gone), nil
}
