// Package memory is an in-memory store.Store for the embedded dev mode: the same
// behaviour as PostgreSQL, held in maps behind one mutex, gone when the process ends.
package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/supportd/supportd/store"
)

// Store is the in-memory store. Every method takes mu for its whole change, so each
// change and its events are one atomic step, as a transaction is in PostgreSQL.
type Store struct {
	ids *store.IDGen
	now func() time.Time // a field so that tests can move time (idempotency expiry)

	mu      sync.Mutex
	people  map[store.ID]person
	tickets map[store.ID]*store.Ticket
	threads map[store.ID]threadRef
	number  int64 // the last ticket number handed out
	counts  map[store.ID]store.Counts
	global  store.Counts
	events  eventLog
	idem    idempotency
	linking map[store.ID]chan struct{} // tickets whose issue is being created

	hooks webhooks // webhooks and GitHub deliveries, under their own lock
}

type person struct {
	name string
	role store.Role
	at   time.Time // the NameAt of the caller that set name and role
}

// threadRef locates a thread: threads are only ever appended to a ticket, and go
// only with it, so an index stays valid.
type threadRef struct {
	ticket store.ID
	index  int
}

// firstNumber precedes the first ticket number: the contract starts at 1001.
const firstNumber = 1000

// New returns an empty store.
func New() *Store {
	return &Store{
		ids:     store.NewIDGen(),
		now:     time.Now,
		people:  map[store.ID]person{},
		tickets: map[store.ID]*store.Ticket{},
		threads: map[store.ID]threadRef{},
		number:  firstNumber,
		counts:  map[store.ID]store.Counts{},
		idem:    newIdempotency(),
		linking: map[store.ID]chan struct{}{},
	}
}

var _ store.Store = (*Store)(nil)

// Ping always answers: there is nothing to reach.
func (s *Store) Ping(context.Context) error { return nil }

// Close does nothing: the store holds no outside resources.
func (s *Store) Close() {}

// RememberPerson records the caller's role and latest name, where the latest is the
// one of the most recently issued token: a caller whose NameAt is older than the
// stored one changes nothing (a zero NameAt is older than any other), as in
// PostgreSQL.
func (s *Store) RememberPerson(_ context.Context, c store.Caller) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.people[c.ID]; ok && c.NameAt.Before(p.at) {
		return nil
	}
	s.people[c.ID] = person{name: c.Name, role: c.Role, at: c.NameAt}
	return nil
}

// Person returns a remembered person and their role.
func (s *Store) Person(_ context.Context, id store.ID) (store.Person, store.Role, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.people[id]
	if !ok {
		return store.Person{}, "", fmt.Errorf("person %s: %w", id, store.ErrNotFound)
	}
	return store.Person{ID: id, Name: p.name}, p.role, nil
}

// named returns p with its latest remembered name: tickets show people as they are
// called now, not as they were called when they wrote.
func (s *Store) named(p store.Person) store.Person {
	if q, ok := s.people[p.ID]; ok {
		p.Name = q.name
	}
	return p
}

// visible returns the ticket if c may see it.
func (s *Store) visible(c store.Caller, id store.ID) (*store.Ticket, bool) {
	t, ok := s.tickets[id]
	if !ok || !store.Visible(c, t.Client.ID) {
		return nil, false
	}
	return t, true
}
