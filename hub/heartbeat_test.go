package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/pubsub"
)

// A peer that answers pings keeps its socket through many heartbeats; one that
// stops reading (and so never answers) is closed after the ping timeout.
func TestHeartbeatClosesOnlyTheSocketThatDoesNotAnswer(t *testing.T) {
	heartbeatClosesTheDeaf(t, false)
}

func heartbeatClosesTheDeaf(t *testing.T, plain bool) {
	const interval, timeout = 100 * time.Millisecond, 150 * time.Millisecond
	h := New(Config{Instance: "test", PingInterval: interval, PingTimeout: timeout, PlainWrites: plain}, Deps{
		Events: &fakeLog{}, Broker: pubsub.NewMemory(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.auth = agentAuth{}

	live := dialHub(t, h, "")
	liveDone := make(chan error, 1)
	go func() {
		// Reading answers the pings (the library replies inside Read).
		for {
			if _, _, err := live.Read(context.Background()); err != nil {
				liveDone <- err
				return
			}
		}
	}()

	deaf := dialHub(t, h, "")
	if got, err := readFrames(deaf, 2); err != nil || len(got) != 2 {
		t.Fatalf("deaf socket: got %v (%v), want hello and presence", got, err)
	}
	stopped := time.Now()
	// deaf reads nothing from here on, so it answers no ping.

	time.Sleep(10 * interval)
	select {
	case err := <-liveDone:
		t.Fatalf("the socket that answers pings ended: %v", err)
	default:
	}

	// The deaf socket's connection is gone: reading now finds the end (after the
	// pings that wait in its buffer), not a live connection that stays silent.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var err error
	for err == nil {
		_, _, err = deaf.Read(ctx)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the socket that stopped answering pings %s ago is still open", time.Since(stopped).Round(time.Millisecond))
	}
	if websocket.CloseStatus(err) != -1 {
		t.Logf("deaf socket ended with close %d", websocket.CloseStatus(err))
	}
}
