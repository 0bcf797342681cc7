package pubsub

import (
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// fakeClock is a presence clock that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newMemoryEnv shares one Memory between "instances": in dev mode there is only
// the one process.
func newMemoryEnv(t *testing.T) brokerEnv {
	clock := &fakeClock{now: time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)}
	m := NewMemory()
	m.now = clock.Now
	t.Cleanup(func() { _ = m.Close() })
	return brokerEnv{
		newBroker: func(t *testing.T) Broker { return m },
		advance:   func(t *testing.T, d time.Duration) { clock.Advance(d) },
		shortTTL:  time.Minute,
	}
}

func TestMemory(t *testing.T) {
	t.Parallel()
	testBroker(t, newMemoryEnv)
}

// blockingHandler blocks in its first Events call until release is closed.
type blockingHandler struct {
	*recorder
	once    sync.Once
	blocked chan struct{}
	release chan struct{}
}

func (h *blockingHandler) Events(evs []store.Event) {
	h.once.Do(func() {
		close(h.blocked)
		<-h.release
	})
	h.recorder.Events(evs)
}

func TestMemoryOverflow(t *testing.T) {
	t.Parallel()
	m := NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	h := &blockingHandler{recorder: newRecorder(), blocked: make(chan struct{}), release: make(chan struct{})}
	// startSubscriber's recorder is not h; run h by hand.
	ctx := testContext(t)
	errc := make(chan error, 1)
	go func() { errc <- m.Subscribe(ctx, h) }()
	h.waitFor(t, "the first Subscribed", func(r *recording) bool { return r.subscribed == 1 })

	mustPublish(t, m, []store.Event{testEvent(1, store.EventCounts, "")})
	select {
	case <-h.blocked:
	case <-time.After(waitTimeout):
		t.Fatal("handler never got the first batch")
	}

	// Overflow by a few: the handler is stuck, so every one of these must queue
	// or be dropped, never wait.
	const extra = 5
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := range memoryBuffer + 1 + extra {
			if err := m.Publish(ctx, []store.Event{testEvent(int64(2+i), store.EventCounts, "")}); err != nil {
				t.Errorf("Publish: %v", err)
				return
			}
		}
	}()
	select {
	case <-published:
	case <-time.After(waitTimeout):
		t.Fatal("Publish blocked behind a stuck subscriber")
	}
	last := int64(2 + memoryBuffer + 1 + extra)
	mustPublish(t, m, []store.Event{testEvent(last, store.EventCounts, "")})

	close(h.release)
	h.waitFor(t, "the last event", func(r *recording) bool {
		n := len(r.batches)
		return n > 0 && r.batches[n-1][0].ID == last
	})
	got := h.snapshot()
	if got.subscribed != 2 {
		t.Errorf("got %d Subscribed calls, want 2 (start, overflow)", got.subscribed)
	}
	// Event 1 (taken before the overflow), Subscribed, then only what came after
	// the overflow: the extra ones and the last.
	wantIDs := []int64{1}
	for i := range extra {
		wantIDs = append(wantIDs, int64(2+memoryBuffer+1+i))
	}
	wantIDs = append(wantIDs, last)
	var gotIDs []int64
	for _, b := range got.batches {
		gotIDs = append(gotIDs, b[0].ID)
	}
	if len(gotIDs) != len(wantIDs) {
		t.Fatalf("got event ids %v, want %v", gotIDs, wantIDs)
	}
	for i := range wantIDs {
		if gotIDs[i] != wantIDs[i] {
			t.Fatalf("got event ids %v, want %v", gotIDs, wantIDs)
		}
	}
	if got.calls[0] != "subscribed" || got.calls[1] != "events" || got.calls[2] != "subscribed" {
		t.Errorf("got calls starting %v, want subscribed, events, subscribed", got.calls[:3])
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != ErrClosed {
		t.Errorf("Subscribe after Close: got %v, want ErrClosed", err)
	}
}

// TestMemoryCopies checks that subscribers and the publisher share no memory:
// the data race WTF Dial's in-memory pub/sub had.
func TestMemoryCopies(t *testing.T) {
	t.Parallel()
	m := NewMemory()
	t.Cleanup(func() { _ = m.Close() })
	a, b := startSubscriber(t, m), startSubscriber(t, m)
	evs := []store.Event{testEvent(1, store.EventThreadAdded, `{"message":"x"}`)}
	mustPublish(t, m, evs)
	evs[0].Data[2] = 'X' // the publisher reuses its buffer
	for _, rec := range []*recorder{a, b} {
		rec.waitFor(t, "a batch", func(r *recording) bool { return len(r.batches) == 1 })
	}
	ga, gb := a.snapshot().batches[0], b.snapshot().batches[0]
	if string(ga[0].Data) != `{"message":"x"}` {
		t.Errorf("got data %s, want the data as published", ga[0].Data)
	}
	if &ga[0] == &gb[0] || &ga[0].Data[0] == &gb[0].Data[0] {
		t.Errorf("two subscribers got the same memory, want a copy each")
	}
}
