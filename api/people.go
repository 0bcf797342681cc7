package api

import (
	"context"
	"sync"

	"github.com/supportd/supportd/store"
)

// maxRememberedPeople bounds the cache below; past it the cache starts over, which
// only costs one upsert per caller.
const maxRememberedPeople = 100_000

// people remembers callers in the store once per name, not once per request: a
// console polling the list must not write a row each time.
type people struct {
	store store.Store
	mu    sync.Mutex
	known map[store.ID]string // id → role and name last stored
}

func newPeople(st store.Store) *people {
	return &people{store: st, known: map[store.ID]string{}}
}

func (p *people) remember(ctx context.Context, c store.Caller) error {
	key := string(c.Role) + "\x00" + c.Name
	p.mu.Lock()
	last, ok := p.known[c.ID]
	p.mu.Unlock()
	if ok && last == key {
		return nil
	}
	if err := p.store.RememberPerson(ctx, c); err != nil {
		return err
	}
	p.mu.Lock()
	if len(p.known) >= maxRememberedPeople {
		p.known = map[store.ID]string{}
	}
	p.known[c.ID] = key
	p.mu.Unlock()
	return nil
}
