package hub

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

// slowNewestLog counts reads of the newest id, each taking a round trip.
type slowNewestLog struct {
	*fakeLog
	reads atomic.Int64
}

func (l *slowNewestLog) LastEventID(ctx context.Context) (int64, error) {
	l.reads.Add(1)
	time.Sleep(20 * time.Millisecond)
	return l.fakeLog.LastEventID(ctx)
}

// hello announces the log's newest id even when the hub's cursor is behind it (a
// write answered before its events reached this hub), and the socket then gets
// only what comes after it.
func TestHelloAnnouncesTheLogAndSkipsWhatItCovers(t *testing.T) { helloSkipsWhatItCovers(t, false) }

func helloSkipsWhatItCovers(t *testing.T, plain bool) {
	log := &fakeLog{}
	h := newTestHub(t, log)
	h.auth = agentAuth{}
	h.cfg.PlainWrites = plain
	for range 3 {
		log.add("aaaaaaaaaaaaaaaaaaaaaaaa") // writes that answered; not yet fanned out here
	}
	c := dialHub(t, h, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil || !strings.Contains(string(b), `"lastEventId":"3"`) {
		t.Fatalf("hello: got %s (%v), want lastEventId 3 (the log's newest), with the hub's cursor at 0", b, err)
	}
	if got, err := readFrames(c, 1); err != nil || got[0] != "presence" {
		t.Fatalf("after hello: got %v (%v), want presence", got, err)
	}
	waitLive(t, h)
	log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	all, _ := log.EventsAfter(ctx, 0, 10)
	h.apply(ctx, all) // the hub fans out 1..4
	if got, err := readFrames(c, 1); err != nil || got[0] != "thread.added:4" {
		t.Fatalf("after the hub caught up: got %v (%v), want only thread.added:4 (1..3 are before hello)", got, err)
	}
}

// Sockets that connect together share reads of the newest id.
func TestHelloReadsOfTheLogAreShared(t *testing.T) {
	log := &slowNewestLog{fakeLog: &fakeLog{}}
	h := newTestHub(t, log.fakeLog)
	h.events = log
	h.auth = agentAuth{}
	const sockets = 16 // under the 20 sockets a caller may have
	var wg sync.WaitGroup
	for range sockets {
		wg.Go(func() {
			c := dialHub(t, h, "")
			if got, err := readFrames(c, 1); err != nil || got[0] != "hello" {
				t.Errorf("got %v (%v), want hello", got, err)
			}
			c.Close(websocket.StatusNormalClosure, "")
		})
	}
	wg.Wait()
	if n := log.reads.Load(); n > sockets/4 {
		t.Errorf("%d sockets connecting together read the newest id %d times, want it shared (at most %d)", sockets, n, sockets/4)
	}
}

// waitLive waits until a socket of h is registered for live events.
func waitLive(t *testing.T, h *Hub) {
	t.Helper()
	if !eventually(5*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.admins) > 0
	}) {
		t.Fatal("no socket registered for live events")
	}
}

// racingLog numbers an event between a resume's probe and its read of the newest
// id, as a busy relay would.
type racingLog struct {
	*fakeLog
	probed chan struct{}
	once   sync.Once
}

func (l *racingLog) EventsAfter(ctx context.Context, after int64, limit int) ([]store.Event, error) {
	evs, err := l.fakeLog.EventsAfter(ctx, after, limit)
	l.once.Do(func() { close(l.probed) })
	return evs, err
}

func (l *racingLog) LastEventID(ctx context.Context) (int64, error) {
	select {
	case <-l.probed:
	case <-ctx.Done():
	}
	l.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	return l.fakeLog.LastEventID(ctx)
}

// A resume at the newest id is not told to reset when an event is numbered
// between its probe and hello: it gets that event.
func TestResumeRacingANewEventIsNoReset(t *testing.T) {
	log := &racingLog{fakeLog: &fakeLog{}, probed: make(chan struct{})}
	for range 3 {
		log.add("aaaaaaaaaaaaaaaaaaaaaaaa")
	}
	h := newTestHub(t, log.fakeLog)
	h.events = log
	h.auth = agentAuth{}
	c := dialHub(t, h, "lastEventId=3")
	got, err := readFrames(c, 2)
	if err != nil || strings.Join(got, ",") != "hello,presence" {
		t.Fatalf("resume from 3 while 4 is numbered: got %v (%v), want hello, presence (no reset)", got, err)
	}
	waitLive(t, h)
	all, _ := log.fakeLog.EventsAfter(context.Background(), 0, 10)
	h.apply(context.Background(), all)
	if got, err := readFrames(c, 1); err != nil || got[0] != "thread.added:4" {
		t.Fatalf("then: got %v (%v), want thread.added:4", got, err)
	}
}
