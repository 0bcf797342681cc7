package pubsub

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/supportd/supportd/store"
)

// ErrClosed is returned by a broker's methods after its Close.
var ErrClosed = errors.New("pubsub: broker closed")

// memoryBuffer is how many published messages one Memory subscriber may have
// waiting. Messages are whole batches (the relay publishes one per sequencing
// round) or typing/presence notes (typing is limited to one per 2 s per socket and
// ticket), so 1024 is seconds of a busy dev server's traffic: a handler that far
// behind is stuck, not slow, and is better told to resync than grown without
// bound.
const memoryBuffer = 1024

// Memory is the in-process Broker of the embedded dev mode: one instance, no
// Redis. Publish hands every current subscriber a copy of the message; each
// Subscribe delivers its own queue from its own goroutine, so a slow handler never
// blocks Publish or the other subscribers.
//
// A subscriber that falls memoryBuffer messages behind loses everything it had
// waiting and gets Subscribed() instead, before whatever is published next: the
// same "you missed things, catch up from the event log" a Redis reconnect means.
// Its handler must therefore tolerate events it already has, as after a Redis
// reconnect (skip ids at or below the last one it delivered).
type Memory struct {
	now  func() time.Time // the presence clock; tests replace it
	done chan struct{}    // closed by Close, which ends every Subscribe

	mu       sync.Mutex
	closed   bool
	subs     map[*memorySub]struct{}
	presence map[string]memoryPresence // by instance
}

type memoryPresence struct {
	online  []store.Person
	expires time.Time
}

// memoryMsg is one published message: events (never empty: Publish drops empty
// batches) or else an ephemeral message.
type memoryMsg struct {
	events    []store.Event
	ephemeral Ephemeral
}

// memorySub is one Subscribe call's queue. Publish appends under mu and pokes
// wake; the subscriber swaps the queue out under mu and delivers without it.
type memorySub struct {
	wake chan struct{} // capacity 1: a pending poke is enough

	mu     sync.Mutex
	queue  []memoryMsg
	missed bool // the queue overflowed: call Subscribed before the queue
}

// NewMemory returns an empty in-process broker.
func NewMemory() *Memory {
	return &Memory{
		now:      time.Now,
		done:     make(chan struct{}),
		subs:     map[*memorySub]struct{}{},
		presence: map[string]memoryPresence{},
	}
}

// Publish queues a copy of evs for every current subscriber, this instance's
// included. It never waits for a subscriber.
func (m *Memory) Publish(ctx context.Context, evs []store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	return m.publish(ctx, func() memoryMsg { return memoryMsg{events: cloneEvents(evs)} })
}

// PublishEphemeral queues a copy of e for every current subscriber.
func (m *Memory) PublishEphemeral(ctx context.Context, e Ephemeral) error {
	return m.publish(ctx, func() memoryMsg {
		e := e
		e.Data = slices.Clone(e.Data)
		return memoryMsg{ephemeral: e}
	})
}

// publish gives each subscriber its own copy (made by msg), so no two handlers
// ever share a slice and the publisher may reuse its own.
func (m *Memory) publish(ctx context.Context, msg func() memoryMsg) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for s := range m.subs {
		s.push(msg())
	}
	return nil
}

func (s *memorySub) push(msg memoryMsg) {
	s.mu.Lock()
	if len(s.queue) >= memoryBuffer {
		// Drop this message too: Subscribed makes the handler read the event log,
		// which has it, and keeping it would only deliver it twice.
		clear(s.queue) // let the dropped payloads be collected
		s.queue = s.queue[:0]
		s.missed = true
	} else {
		s.queue = append(s.queue, msg)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// take empties the queue.
func (s *memorySub) take() (msgs []memoryMsg, missed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msgs, missed = s.queue, s.missed
	s.queue, s.missed = nil, false
	return msgs, missed
}

// Subscribe calls h.Subscribed once registered, then delivers every message
// published until ctx ends, on the calling goroutine, in publish order. It
// returns nil when ctx ends and ErrClosed when the broker is closed.
func (m *Memory) Subscribe(ctx context.Context, h Handler) error {
	s := &memorySub{wake: make(chan struct{}, 1)}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	m.subs[s] = struct{}{}
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.subs, s)
		m.mu.Unlock()
	}()

	// Registered first, so that nothing published after the handler's catch-up
	// read can slip past it.
	h.Subscribed()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-m.done:
			return ErrClosed
		case <-s.wake:
		}
		msgs, missed := s.take()
		if missed {
			h.Subscribed()
		}
		for _, msg := range msgs {
			if ctx.Err() != nil {
				return nil
			}
			if msg.events != nil {
				h.Events(msg.events)
			} else {
				h.Ephemeral(msg.ephemeral)
			}
		}
	}
}

// SetPresence replaces instance's list of online super admins, valid for ttl; an
// empty list removes the instance.
func (m *Memory) SetPresence(ctx context.Context, instance string, online []store.Person, ttl time.Duration) error {
	if instance == "" {
		return errors.New("pubsub: presence needs an instance name")
	}
	if ttl <= 0 {
		return fmt.Errorf("pubsub: presence ttl must be positive, got %v", ttl)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	if len(online) == 0 {
		delete(m.presence, instance)
		return nil
	}
	m.presence[instance] = memoryPresence{online: slices.Clone(online), expires: m.now().Add(ttl)}
	return nil
}

// Presence is the union of every unexpired instance's list but except's, sorted by id. A person
// online on several instances appears once, with the name the first instance (in
// name order) gave.
func (m *Memory) Presence(ctx context.Context, except string) ([]store.Person, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	now := m.now()
	lists := map[string][]store.Person{}
	for inst, p := range m.presence {
		if !now.Before(p.expires) {
			delete(m.presence, inst) // expired: the instance stopped refreshing
			continue
		}
		if inst != except {
			lists[inst] = p.online
		}
	}
	return unionPresence(lists), nil
}

// unionPresence merges per-instance lists: sorted by id, one entry per id, the
// name from the first instance in name order, so the answer does not depend on
// map or SCAN order.
func unionPresence(lists map[string][]store.Person) []store.Person {
	instances := make([]string, 0, len(lists))
	for inst := range lists {
		instances = append(instances, inst)
	}
	slices.Sort(instances)
	seen := map[store.ID]bool{}
	out := []store.Person{}
	for _, inst := range instances {
		for _, p := range lists[inst] {
			if !seen[p.ID] {
				seen[p.ID] = true
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b store.Person) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Ping answers nil while the broker is open.
func (m *Memory) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

// Close makes every later call fail with ErrClosed and ends running Subscribe
// calls with ErrClosed (stop them first for a clean nil).
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.done)
	}
	return nil
}

// cloneEvents deep-copies evs, Data included.
func cloneEvents(evs []store.Event) []store.Event {
	out := slices.Clone(evs)
	for i := range out {
		out[i].Data = slices.Clone(out[i].Data)
	}
	return out
}
