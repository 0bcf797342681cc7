package pubsub

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/supportd/supportd/store"
)

// A broker made while Redis is down is not connected, publishes fail fast (the
// relay must not stall on them), and its subscription attaches once Redis is up.
func TestRedisDownAtStartAttachesLater(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	client, err := NewRedisClient("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	b := NewRedis(client, RedisOptions{Prefix: randomPrefix(t), Logger: testLogger(t)})
	b.backoffMax = 200 * time.Millisecond
	t.Cleanup(func() { _ = b.Close() })
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Subscribe(ctx, rec) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Subscribe: %v", err)
		}
	})

	start := time.Now()
	err = b.Publish(testContext(t), []store.Event{testEvent(1, store.EventCounts, "")})
	if took := time.Since(start); err == nil || took > 2*redisDownOpTimeout {
		t.Fatalf("publish with redis down: %v after %v, want an error within %v", err, took, 2*redisDownOpTimeout)
	}
	if b.Connected() {
		t.Fatal("connected with redis down")
	}
	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr(addr); err != nil {
		t.Fatalf("start miniredis on %s: %v", addr, err)
	}
	t.Cleanup(mr.Close)
	rec.waitFor(t, "Subscribed once redis is up", func(r *recording) bool { return r.subscribed == 1 })
	if !b.Connected() {
		t.Fatal("not connected once subscribed")
	}
	mustPublish(t, b, []store.Event{testEvent(2, store.EventCounts, "")})
	rec.waitFor(t, "event 2", func(r *recording) bool { return len(r.batches) == 1 })
}
