package hub

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

// fakeLog is an event log held in memory: ids 1..n.
type fakeLog struct {
	mu  sync.Mutex
	evs []store.Event
}

func (l *fakeLog) add(client store.ID) store.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var id int64 = 1
	if len(l.evs) > 0 {
		id = l.evs[len(l.evs)-1].ID + 1
	}
	ev := store.Event{ID: id, Type: store.EventThreadAdded, ClientID: client, Data: json.RawMessage(`{}`)}
	l.evs = append(l.evs, ev)
	return ev
}

func (l *fakeLog) EventsAfter(_ context.Context, after int64, limit int) ([]store.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []store.Event
	for _, ev := range l.evs {
		if ev.ID > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (l *fakeLog) ClientEventsAfter(ctx context.Context, client store.ID, after int64, limit int) ([]store.Event, error) {
	all, _ := l.EventsAfter(ctx, after, 1<<30)
	out := []store.Event{}
	for _, ev := range all {
		if ev.ClientID == client && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (l *fakeLog) LastEventID(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.evs) == 0 {
		return 0, nil
	}
	return l.evs[len(l.evs)-1].ID, nil
}

func newTestHub(t testing.TB, log *fakeLog) *Hub {
	t.Helper()
	h := New(Config{Instance: "test"}, Deps{
		Events: log, Broker: pubsub.NewMemory(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

func fakeSocket(h *Hub, c store.Caller) *socket {
	return &socket{h: h, caller: c, done: make(chan struct{})}
}

// registeredAgent is a fake agent socket registered for every event from the start.
func registeredAgent(h *Hub) *socket {
	agent := fakeSocket(h, store.Caller{ID: agentID, Role: store.RoleSuperAdmin})
	h.register(agent, -1)
	return agent
}

// received takes what waits for s (a fake socket: no flusher runs) and returns
// the event ids in the frames.
func received(t *testing.T, s *socket) []int64 {
	t.Helper()
	s.wmu.Lock()
	batches := s.waiting
	s.waiting, s.pending = nil, 0
	s.wmu.Unlock()
	var ids []int64
	for _, frames := range batches {
		for _, b := range frames {
			var m struct{ ID string }
			_ = json.Unmarshal(framePayload(t, b), &m)
			id, _ := strconv.ParseInt(m.ID, 10, 64)
			ids = append(ids, id)
		}
	}
	return ids
}

func TestApplyDeliversInOrderFillsGapsAndDropsDuplicates(t *testing.T) {
	const a, b store.ID = "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"
	log := &fakeLog{}
	h := newTestHub(t, log)
	agent := fakeSocket(h, store.Caller{ID: "cccccccccccccccccccccccc", Role: store.RoleSuperAdmin})
	client := fakeSocket(h, store.Caller{ID: a, Role: store.RoleClient})
	h.register(agent, -1)
	h.register(client, -1)

	var evs []store.Event
	for i := range 6 {
		owner := a
		if i%2 == 1 {
			owner = b
		}
		evs = append(evs, log.add(owner))
	}
	ctx := context.Background()
	h.apply(ctx, evs[0:2])                             // 1, 2
	h.apply(ctx, evs[3:5])                             // 4, 5 overtook 3: the log fills 3
	h.apply(ctx, evs[2:3])                             // 3 again: a duplicate
	h.apply(ctx, append(evs[4:6:6], evs[5]))           // 5 again, 6, 6 again
	h.apply(ctx, []store.Event{{ID: 99, ClientID: a}}) // not in the log: not ours

	if got := received(t, agent); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("agent got %v, want 1..6 once each", got)
	}
	if got := received(t, client); !slices.Equal(got, []int64{1, 3, 5}) {
		t.Fatalf("client got %v, want its own events 1, 3, 5", got)
	}
}

func TestRegisterAfterReplaySkipsWhatTheReplaySent(t *testing.T) {
	log := &fakeLog{}
	h := newTestHub(t, log)
	const a store.ID = "aaaaaaaaaaaaaaaaaaaaaaaa"
	for range 3 {
		log.add(a)
	}
	s := fakeSocket(h, store.Caller{ID: a, Role: store.RoleClient})
	// The hub's cursor (0) is behind what the socket already has (3): it registers
	// with a floor of 3, and the hub's later delivery of 1..3 does not repeat them.
	if !h.register(s, 3) {
		t.Fatal("register refused while the cursor is behind")
	}
	h.catchUpFromLog(context.Background())
	log.add(a)
	h.catchUpFromLog(context.Background())
	if got := received(t, s); !slices.Equal(got, []int64{4}) {
		t.Fatalf("got %v, want only 4", got)
	}
	// A socket whose replay is behind the cursor is not registered yet.
	late := fakeSocket(h, store.Caller{ID: a, Role: store.RoleClient})
	if h.register(late, 2) {
		t.Fatal("registered a socket that has not replayed up to the cursor")
	}
}

func TestFullQueueCutsOnlyThatSocket(t *testing.T) {
	log := &fakeLog{}
	h := newTestHub(t, log)
	const a store.ID = "aaaaaaaaaaaaaaaaaaaaaaaa"
	slow := fakeSocket(h, store.Caller{ID: a, Role: store.RoleClient})
	fast := fakeSocket(h, store.Caller{ID: "cccccccccccccccccccccccc", Role: store.RoleSuperAdmin})
	h.register(slow, -1)
	h.register(fast, -1)
	var got []int64
	for range queueSize + 1 {
		h.apply(context.Background(), []store.Event{log.add(a)})
		got = append(got, received(t, fast)...)
	}
	select {
	case <-slow.done:
		if slow.code != 1008 || slow.reason != "slow consumer" {
			t.Fatalf("closed with %d %q, want 1008 slow consumer", slow.code, slow.reason)
		}
	default:
		t.Fatal("the slow socket was not cut")
	}
	if len(got) != queueSize+1 {
		t.Fatalf("the fast socket got %d events, want %d", len(got), queueSize+1)
	}
}
