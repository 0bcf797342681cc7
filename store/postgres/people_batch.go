package postgres

import (
	"context"
	"sync"

	"github.com/supportd/supportd/store"
)

// rememberBatchMax bounds the people of one upsert.
const rememberBatchMax = 500

// rememberBatch shares upserts of people between concurrent callers: a wave of
// sockets of people the instance has not seen yet (every agent of a shift
// connecting at 9:00, a deploy that restarted the instances) is then a few
// statements and commits, not one per person. Callers that arrive while an
// upsert runs join the next one; the first of them leads it once the running one
// is done (no goroutine of its own, as with pubsub.Coalescer).
type rememberBatch struct {
	mu      sync.Mutex
	running *rememberCall // the upsert in progress, nil when none
	next    *rememberCall // the one that starts after it, nil until someone joins
}

type rememberCall struct {
	people []store.Caller
	done   chan struct{}
	failed map[store.ID]error // by person; nil when all went in
	down   error              // the database failed the whole upsert (not one row's data)
}

// remember upserts c with whoever else asks meanwhile, by exec.
//
// When the upsert before failed for want of the database, the next one fails
// with it at once instead of trying again: each waited its turn, and the
// callers would otherwise wait two of the pool's timeouts for a 503 owed
// after one.
func (b *rememberBatch) remember(ctx context.Context, c store.Caller, exec func(context.Context, []store.Caller) (map[store.ID]error, error)) error {
	b.mu.Lock()
	if call := b.next; call != nil && len(call.people) < rememberBatchMax {
		call.people = append(call.people, c)
		b.mu.Unlock()
		return call.wait(ctx, c.ID)
	}
	call := &rememberCall{people: []store.Caller{c}, done: make(chan struct{})}
	b.next = call
	prev := b.running
	b.mu.Unlock()

	waited := false
	if prev != nil {
		<-prev.done // bounded by the pool's deadline on each use (see limitSessions)
		waited = prev.down != nil
	}
	b.mu.Lock()
	if b.next == call {
		b.next = nil
	}
	b.running = call
	people := call.people // no one joins once it is running
	b.mu.Unlock()

	if waited {
		call.down = prev.down
		call.failed = map[store.ID]error{}
		for _, p := range people {
			call.failed[p.ID] = prev.down
		}
	} else {
		// The others wait for this call: the caller's cancellation must not end
		// it. The pool bounds each of its uses (see limitSessions).
		call.failed, call.down = exec(context.WithoutCancel(ctx), people)
	}
	close(call.done)

	b.mu.Lock()
	if b.running == call {
		b.running = nil
	}
	b.mu.Unlock()
	return call.wait(ctx, c.ID)
}

// wait returns what became of id's upsert.
func (call *rememberCall) wait(ctx context.Context, id store.ID) error {
	select {
	case <-call.done:
		return call.failed[id]
	case <-ctx.Done():
		return ctx.Err()
	}
}
