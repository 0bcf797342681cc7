package hub

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/pubsub"
)

// An idle socket costs the server one goroutine (its reader): the flusher exists
// only while frames wait and the starter ends after the replay. The sockets still
// answer, and closing them leaves no goroutine behind.
func TestIdleSocketKeepsOneGoroutine(t *testing.T) {
	const n = 20
	h := New(Config{Instance: "test"}, Deps{
		Events: &fakeLog{}, Broker: pubsub.NewMemory(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.auth = agentAuth{}
	ts := httptest.NewServer(h)
	defer ts.Close()
	base := runtime.NumGoroutine()

	conns := make([]*websocket.Conn, n)
	for i := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, _, err := websocket.Dial(ctx, strings.Replace(ts.URL, "http", "ws", 1), nil)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if got, err := readFrames(c, 2); err != nil {
			t.Fatalf("socket %d: got %v (%v), want hello and presence", i, got, err)
		}
		conns[i] = c
	}
	if !eventually(5*time.Second, func() bool { return runtime.NumGoroutine() <= base+n }) {
		t.Fatalf("%d goroutines for %d idle sockets, want at most %d", runtime.NumGoroutine()-base, n, n)
	}
	for i, c := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
		cancel()
		if got, rerr := readFrames(c, 1); err != nil || rerr != nil || got[0] != "pong" {
			t.Fatalf("socket %d: got %v (%v, %v), want pong", i, got, err, rerr)
		}
	}
	for _, c := range conns {
		_ = c.Close(websocket.StatusNormalClosure, "")
	}
	if !eventually(5*time.Second, func() bool { return runtime.NumGoroutine() <= base }) {
		t.Fatalf("%d goroutines left after closing every socket", runtime.NumGoroutine()-base)
	}
}
