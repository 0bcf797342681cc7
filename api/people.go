package api

import (
	"context"
	"sync"
	"time"

	"github.com/supportd/supportd/store"
)

// maxRememberedPeople bounds the cache below; past it the cache starts over, which
// only costs one upsert per caller.
const maxRememberedPeople = 100_000

// people remembers callers in the store once per token's name, not once per request:
// a console polling the list must not write a row each time. The key holds the
// token's issue time too, so a newer token with a name this instance saw before still
// reaches the store, where it wins over a name another instance stored in between.
type people struct {
	store store.Store
	mu    sync.Mutex
	known map[store.ID]string // id → role, name and issue time last stored
}

func newPeople(st store.Store) *people {
	return &people{store: st, known: map[store.ID]string{}}
}

func (p *people) remember(ctx context.Context, c store.Caller) error {
	key := string(c.Role) + "\x00" + c.Name + "\x00" + c.NameAt.Format(time.RFC3339Nano)
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
