package hub

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

// hangingLog is a log whose every read waits for its deadline: a black-holed
// database.
type hangingLog struct{ *fakeLog }

func (l hangingLog) EventsAfter(ctx context.Context, _ int64, _ int) ([]store.Event, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (l hangingLog) ClientEventsAfter(ctx context.Context, _ store.ID, _ int64, _ int) ([]store.Event, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (l hangingLog) LastEventID(ctx context.Context) (int64, error) {
	<-ctx.Done()
	return 0, ctx.Err()
}

// runHub starts h.Run for the test's duration.
func runHub(t *testing.T, h *Hub) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// waitSubscribed waits for h's subscription: what is published before it is
// lost to h (as with Redis).
func waitSubscribed(t *testing.T, h *Hub) {
	t.Helper()
	if !eventually(5*time.Second, h.subUp.Load) {
		t.Fatal("the hub did not subscribe")
	}
}

// collect reads s's queue until it holds want ids or wait passes.
func collect(t *testing.T, s *socket, want int, wait time.Duration) []int64 {
	t.Helper()
	var got []int64
	deadline := time.Now().Add(wait)
	for len(got) < want && time.Now().Before(deadline) {
		got = append(got, received(t, s)...)
		time.Sleep(5 * time.Millisecond)
	}
	return got
}

const agentID store.ID = "cccccccccccccccccccccccc"

// With the log hanging, what Redis brings in order goes out at once, and a hole
// that Redis itself fills (a batch overtaken by a later one) costs nothing.
func TestRedisEventsFlowWhileTheLogHangs(t *testing.T) {
	log := &fakeLog{}
	h := newTestHub(t, log)
	h.events = hangingLog{log}
	agent := registeredAgent(h)
	runHub(t, h)
	waitSubscribed(t, h)

	evs := make([]store.Event, 5)
	for i := range evs {
		evs[i] = log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	}
	start := time.Now()
	ctx := context.Background()
	for _, batch := range [][]store.Event{evs[0:1], evs[2:3], evs[1:2], evs[3:5]} { // 3 overtakes 2
		if err := h.broker.Publish(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got := collect(t, agent, 5, 2*time.Second)
	took := time.Since(start)
	t.Logf("5 events delivered in %v with the log hanging", took)
	if !slices.Equal(got, []int64{1, 2, 3, 4, 5}) || took > gapHold/2 {
		t.Fatalf("got %v in %v, want 1..5 in order well within %v", got, took, gapHold)
	}
}

// A hole that neither Redis nor the log fills within gapHold: the sockets are
// closed with 1013 without a single event past the hole, and the hub goes on
// live past it.
func TestUnfillableGapClosesSocketsWith1013AndGoesOn(t *testing.T) {
	log := &fakeLog{}
	h := newTestHub(t, log)
	h.events = hangingLog{log}
	agent := registeredAgent(h)
	runHub(t, h)
	waitSubscribed(t, h)

	var evs []store.Event
	for range 4 {
		evs = append(evs, log.add("aaaaaaaaaaaaaaaaaaaaaaaa"))
	}
	ctx := context.Background()
	_ = h.broker.Publish(ctx, evs[0:1])
	_ = h.broker.Publish(ctx, evs[2:3]) // 2 never comes
	select {
	case <-agent.done:
	case <-time.After(gapHold + 2*time.Second):
		t.Fatal("the socket was not closed after gapHold")
	}
	if agent.code != websocket.StatusTryAgainLater {
		t.Fatalf("closed with %d %q, want 1013", agent.code, agent.reason)
	}
	if got := received(t, agent); !slices.Equal(got, []int64{1}) {
		t.Fatalf("the closed socket got %v, want only 1 (nothing past the hole)", got)
	}
	late := fakeSocket(h, store.Caller{ID: agentID, Role: store.RoleSuperAdmin})
	if !h.register(late, 3) {
		t.Fatal("a socket starting past the hole could not register")
	}
	_ = h.broker.Publish(ctx, evs[3:4])
	if got := collect(t, late, 1, 2*time.Second); !slices.Equal(got, []int64{4}) {
		t.Fatalf("the new socket got %v, want 4", got)
	}
}

// downBroker is a broker whose subscription never comes up: Redis down.
type downBroker struct{ *pubsub.Memory }

func (downBroker) Subscribe(ctx context.Context, h pubsub.Handler) error {
	h.Unsubscribed()
	<-ctx.Done()
	return nil
}

// Without a subscription the hub polls the log: events reach the sockets within
// a few pollIntervals, in order.
func TestWithoutSubscriptionTheHubPollsTheLog(t *testing.T) {
	log := &fakeLog{}
	h := newTestHub(t, log)
	h.broker = downBroker{pubsub.NewMemory()}
	agent := registeredAgent(h)
	runHub(t, h)

	start := time.Now()
	for range 3 {
		log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	}
	got := collect(t, agent, 3, 3*time.Second)
	took := time.Since(start)
	t.Logf("3 events polled from the log in %v", took)
	if !slices.Equal(got, []int64{1, 2, 3}) || took > 4*pollInterval {
		t.Fatalf("got %v in %v, want 1..3 within %v", got, took, 4*pollInterval)
	}
}
