package hub

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

type agentAuth struct{}

func (agentAuth) AuthenticateSocket(*http.Request) (store.Caller, time.Time, error) {
	return store.Caller{ID: "cccccccccccccccccccccccc", Name: "Ann", Role: store.RoleSuperAdmin}, time.Now().Add(time.Hour), nil
}

// failingLog is a log whose reads fail while fail is set.
type failingLog struct {
	*fakeLog
	fail atomic.Bool
}

func (l *failingLog) EventsAfter(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	if l.fail.Load() {
		return nil, errors.New("database down")
	}
	return l.fakeLog.EventsAfter(ctx, after, limit)
}

func (l *failingLog) ClientEventsAfter(ctx context.Context, client store.ID, after int64, limit int) ([]store.Event, error) {
	if l.fail.Load() {
		return nil, errors.New("database down")
	}
	return l.fakeLog.ClientEventsAfter(ctx, client, after, limit)
}

// dialHub serves h over real HTTP and dials it with query.
func dialHub(t *testing.T, h *Hub, query string) *websocket.Conn {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(ts.URL, "http", "ws", 1)+"?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// readFrames reads until n messages or an error; it returns their types (with ids) and the error.
func readFrames(c *websocket.Conn, n int) ([]string, error) {
	var got []string
	for len(got) < n {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, b, err := c.Read(ctx)
		cancel()
		if err != nil {
			return got, err
		}
		var m struct{ Type, ID string }
		_ = json.Unmarshal(b, &m)
		got = append(got, strings.TrimSuffix(m.Type+":"+m.ID, ":"))
	}
	return got, nil
}

func TestResumeFromPrunedLogResets(t *testing.T) { resumeFromPrunedLog(t, false) }

func resumeFromPrunedLog(t *testing.T, plain bool) {
	log := &fakeLog{}
	for range 10 {
		log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	}
	log.evs = log.evs[4:] // 1..4 pruned: the log keeps 5..10
	h := newTestHub(t, log)
	h.auth = agentAuth{}
	h.cfg.PlainWrites = plain

	got, err := readFrames(dialHub(t, h, "lastEventId=2"), 3)
	if err != nil || strings.Join(got, ",") != "hello,reset,presence" {
		t.Fatalf("resume from 2: got %v (%v), want hello, reset, presence", got, err)
	}
	got, err = readFrames(dialHub(t, h, "lastEventId=7"), 5)
	if err != nil || strings.Join(got, ",") != "hello,presence,thread.added:8,thread.added:9,thread.added:10" {
		t.Fatalf("resume from 7: got %v (%v)", got, err)
	}
	got, err = readFrames(dialHub(t, h, "lastEventId=4"), 8)
	if err != nil || strings.Join(got, ",") != "hello,presence,thread.added:5,thread.added:6,thread.added:7,thread.added:8,thread.added:9,thread.added:10" {
		t.Fatalf("resume from 4 (the last pruned id): got %v (%v), want a replay of 5 to 10", got, err)
	}
}

func TestLogFailureAtResumeClosesWith1013(t *testing.T) {
	log := &failingLog{fakeLog: &fakeLog{}}
	for range 3 {
		log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	}
	h := newTestHub(t, log.fakeLog)
	h.events = log
	h.auth = agentAuth{}
	log.fail.Store(true)
	got, err := readFrames(dialHub(t, h, "lastEventId=1"), 3)
	if len(got) != 1 || got[0] != "hello" || websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("got %v then %v, want hello then close 1013 (never reset)", got, err)
	}
}

// blockingLog's EventsAfter waits for its context to end, and says when it began.
type blockingLog struct {
	*fakeLog
	reading chan struct{}
}

func (l *blockingLog) EventsAfter(ctx context.Context, _ int64, _ int) ([]store.Event, error) {
	l.reading <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

// syncBuffer is a log destination the test reads while sockets may write.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A client that leaves while its resume reads the log cuts the read short: that
// is no failure of the log, so nothing is logged as one.
func TestClientLeavingMidReadIsNoLogFailure(t *testing.T) {
	log := &blockingLog{fakeLog: &fakeLog{}, reading: make(chan struct{}, 1)}
	for range 3 {
		log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	}
	var out syncBuffer
	h := New(Config{Instance: "test"}, Deps{
		Events: log, Broker: pubsub.NewMemory(), Logger: slog.New(slog.NewTextHandler(&out, nil)),
	})
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.auth = agentAuth{}
	c := dialHub(t, h, "lastEventId=1")
	if got, err := readFrames(c, 1); err != nil || got[0] != "hello" {
		t.Fatalf("got %v (%v), want hello", got, err)
	}
	<-log.reading
	c.CloseNow()
	done := make(chan struct{})
	go func() { h.sockets.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(logTimeout / 2):
		t.Fatal("the socket did not end before the read's own timeout")
	}
	if strings.Contains(out.String(), "event log") {
		t.Fatalf("logged:\n%s", out.String())
	}
}

type clientAuth struct{}

func (clientAuth) AuthenticateSocket(*http.Request) (store.Caller, time.Time, error) {
	return store.Caller{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", Name: "Acme", Role: store.RoleClient}, time.Now().Add(time.Hour), nil
}

func TestClientReplayIsScopedThenLive(t *testing.T) {
	const a, b store.ID = "aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"
	log := &fakeLog{}
	for i := range 10 {
		if i%2 == 0 {
			log.add(a) // odd ids are a's
		} else {
			log.add(b)
		}
	}
	h := newTestHub(t, log)
	h.auth = clientAuth{}
	c := dialHub(t, h, "lastEventId=2")
	got, err := readFrames(c, 6)
	if err != nil || strings.Join(got, ",") != "hello,presence,thread.added:3,thread.added:5,thread.added:7,thread.added:9" {
		t.Fatalf("replay: got %v (%v)", got, err)
	}
	// Registered once replayed: the next events arrive live, only a's.
	if !eventually(5*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.clients[a]) == 1
	}) {
		t.Fatal("the client's socket did not register")
	}
	h.apply(context.Background(), []store.Event{log.add(b), log.add(a)})
	got, err = readFrames(c, 1)
	if err != nil || got[0] != "thread.added:12" {
		t.Fatalf("live: got %v (%v), want a's event 12", got, err)
	}
}

// A replay larger than one write (replayWriteBytes) arrives whole and in order.
func TestLargeReplayArrivesInOrder(t *testing.T) {
	log := &fakeLog{}
	data, _ := json.Marshal(map[string]string{"message": strings.Repeat("x", 1000)})
	for range 300 { // ~300 KB: several writes
		log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
		log.evs[len(log.evs)-1].Data = data
	}
	h := newTestHub(t, log)
	h.auth = agentAuth{}
	got, err := readFrames(dialHub(t, h, "lastEventId=0"), 302)
	if err != nil {
		t.Fatalf("got %d frames: %v", len(got), err)
	}
	for i, f := range got[2:] {
		if want := "thread.added:" + strconv.Itoa(i+1); f != want {
			t.Fatalf("frame %d: got %s, want %s", i+2, f, want)
		}
	}
	if n := counterValue(h.metrics.replayed); n != 300 {
		t.Fatalf("replayed: got %v, want 300", n)
	}
}
