package pubsub

import (
	"context"
	"sync"
	"time"
)

// Coalescer shares calls of one function between many concurrent callers, with
// one promise: a caller's answer comes from a call that started after it asked.
// So the answer reflects everything that happened before the caller asked (the
// write it committed, the write whose answer it saw), while one call serves
// everyone who asked during the previous one: a storm of N callers costs a
// handful of calls, not N.
//
// At most one call runs at a time. The caller that arrives first while a call
// runs leads the next: it waits for the running call, then makes its own call
// for itself and everyone who joined meanwhile. No goroutine of its own: the
// leader's call runs on the leader's goroutine, under a deadline of its own
// (timeout) and not its context, so that a leader who gives up does not fail the
// others.
type Coalescer struct {
	fn      func(context.Context) (int64, error)
	timeout time.Duration

	mu      sync.Mutex
	running *coalescedCall // the call in progress, nil when none
	next    *coalescedCall // the call that starts after it, nil until someone asks
}

type coalescedCall struct {
	done chan struct{}
	val  int64
	err  error
}

// NewCoalescer shares calls of fn, each bounded by timeout.
func NewCoalescer(fn func(context.Context) (int64, error), timeout time.Duration) *Coalescer {
	return &Coalescer{fn: fn, timeout: timeout}
}

// Do returns the result of a call of fn that started after Do was called, or
// ctx's error if ctx ends first.
func (c *Coalescer) Do(ctx context.Context) (int64, error) {
	c.mu.Lock()
	if call := c.next; call != nil {
		c.mu.Unlock()
		return call.wait(ctx)
	}
	call := &coalescedCall{done: make(chan struct{})}
	c.next = call
	prev := c.running
	c.mu.Unlock()

	if prev != nil {
		<-prev.done // bounded by prev's timeout
	}
	c.mu.Lock()
	c.next, c.running = nil, call
	c.mu.Unlock()

	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
	call.val, call.err = c.fn(fctx)
	cancel()
	close(call.done)

	c.mu.Lock()
	if c.running == call {
		c.running = nil
	}
	c.mu.Unlock()
	return call.wait(ctx)
}

func (call *coalescedCall) wait(ctx context.Context) (int64, error) {
	select {
	case <-call.done:
		return call.val, call.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
