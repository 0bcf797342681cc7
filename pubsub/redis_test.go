package pubsub

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/supportd/supportd/store"
)

// testLogger sends the broker's log to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// openTestRedis connects to url for a test and closes the client at cleanup.
func mustOpenRedis(t testing.TB, url string) *redis.Client {
	t.Helper()
	client, err := OpenRedis(testContext(t), url)
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	return client
}

// newTestRedis builds a broker on its own client; the broker is closed at cleanup.
func newTestRedis(t testing.TB, url, prefix string) *Redis {
	t.Helper()
	b := NewRedis(mustOpenRedis(t, url), RedisOptions{Prefix: prefix, Logger: testLogger(t)})
	// Shorter backoff cap: tests wait out outages.
	b.backoffMax = 500 * time.Millisecond
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newMiniredisEnv(t *testing.T) brokerEnv {
	mr := miniredis.RunT(t)
	prefix := randomPrefix(t)
	return brokerEnv{
		newBroker: func(t *testing.T) Broker { return newTestRedis(t, "redis://"+mr.Addr(), prefix) },
		advance:   func(t *testing.T, d time.Duration) { mr.FastForward(d) },
		shortTTL:  time.Minute,
	}
}

// realRedisURL is the Redis the real-server tests use: TEST_REDIS_URL or a local one.
// Unreachable, it skips the test, except on CI (CI=true), where it fails.
func realRedisURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	client, err := OpenRedis(ctx, url)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis is required on CI: %v", err)
		}
		t.Skipf("no Redis (set TEST_REDIS_URL): %v", err)
	}
	_ = client.Close()
	return url
}

func newRealRedisEnv(t *testing.T) brokerEnv {
	url := realRedisURL(t)
	prefix := randomPrefix(t)
	t.Cleanup(func() { deletePrefix(t, url, prefix) })
	return brokerEnv{
		newBroker: func(t *testing.T) Broker { return newTestRedis(t, url, prefix) },
		advance:   func(t *testing.T, d time.Duration) { time.Sleep(d) },
		shortTTL:  300 * time.Millisecond,
	}
}

// deletePrefix removes a test's keys from the shared Redis.
func deletePrefix(t testing.TB, url, prefix string) {
	client := mustOpenRedis(t, url)
	defer client.Close()
	ctx := testContext(t)
	iter := client.Scan(ctx, 0, globEscape(prefix)+"*", 100).Iterator()
	for iter.Next(ctx) {
		client.Del(ctx, iter.Val())
	}
}

func TestRedisMiniredis(t *testing.T) {
	t.Parallel()
	testBroker(t, newMiniredisEnv)
}

func TestRedisReal(t *testing.T) {
	t.Parallel()
	testBroker(t, newRealRedisEnv)
}

// TestRedisOutage breaks Redis under a running subscriber and brings it back on
// the same address.
func TestRedisOutage(t *testing.T) {
	// Not parallel: goleak must see only this test's goroutines.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	mr := miniredis.NewMiniRedis()
	if err := mr.Start(); err != nil {
		t.Fatal(err)
	}
	addr := mr.Addr()
	client, err := OpenRedis(testContext(t), "redis://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	b := NewRedis(client, RedisOptions{Prefix: randomPrefix(t), Logger: testLogger(t)})
	b.backoffMax = 500 * time.Millisecond
	rec := startSubscriber(t, b)

	mustPublish(t, b, []store.Event{testEvent(1, store.EventCounts, "")})
	rec.waitFor(t, "event 1", func(r *recording) bool { return len(r.batches) == 1 })

	mr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	start := time.Now()
	err = b.Publish(ctx, []store.Event{testEvent(2, store.EventCounts, "")})
	cancel()
	if err == nil {
		t.Fatal("Publish while Redis is down: got nil, want an error")
	}
	t.Logf("Publish while Redis is down failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if err := b.Ping(testContext(t)); err == nil {
		t.Error("Ping while Redis is down: got nil, want an error")
	}

	// Down a while: the subscriber must keep retrying, at a bounded pace.
	time.Sleep(700 * time.Millisecond)
	mr2 := miniredis.NewMiniRedis()
	if err := mr2.StartAddr(addr); err != nil {
		t.Fatalf("restart miniredis on %s: %v", addr, err)
	}
	rec.waitFor(t, "Subscribed after the restart", func(r *recording) bool { return r.subscribed == 2 })

	mustPublish(t, b, []store.Event{testEvent(3, store.EventCounts, "")})
	rec.waitFor(t, "event 3", func(r *recording) bool { return len(r.batches) == 2 })
	got := rec.snapshot()
	if id := got.batches[1][0].ID; id != 3 {
		t.Errorf("got event %d after the restart, want 3 (2 was never published)", id)
	}
	if want := []string{"subscribed", "events", "subscribed", "events"}; strings.Join(got.calls, ",") != strings.Join(want, ",") {
		t.Errorf("got calls %v, want %v", got.calls, want)
	}

	if err := rec.stop(t); err != nil {
		t.Errorf("Subscribe: got %v, want nil", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	mr2.Close()
}

// TestRedisMalformed publishes garbage on the broker's channels: it is logged
// and skipped, and what follows still arrives.
func TestRedisMalformed(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	var logs syncBuffer
	prefix := randomPrefix(t)
	b := NewRedis(mustOpenRedis(t, "redis://"+mr.Addr()), RedisOptions{Prefix: prefix, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	t.Cleanup(func() { _ = b.Close() })
	rec := startSubscriber(t, b)

	bad := []struct{ channel, payload string }{
		{"events", "not json"},
		{"events", `{"id":1}`},                   // an object, not an array
		{"events", `[{"id":0,"type":"counts"}]`}, // no id
		{"events", `[{"id":1,"type":"counts","at":"yesterday"}]`},
		{"events", `[{"id":1,"type":"counts"}] trailing`},
		{"events", `[{"id":1,"type":"counts","ticketId":7}]`},
		{"ephemeral", "{"},
		{"ephemeral", `{"ticketId":"x"}`}, // no type
		{"elsewhere", "ignored"},
	}
	for _, m := range bad {
		mr.Publish(prefix+m.channel, m.payload)
	}
	mustPublish(t, b, []store.Event{testEvent(5, store.EventCounts, "")})
	rec.waitFor(t, "the good batch", func(r *recording) bool { return len(r.batches) == 1 })
	got := rec.snapshot()
	if got.batches[0][0].ID != 5 || len(got.ephemeral) != 0 {
		t.Errorf("got batches %v and ephemeral %v, want only event 5", got.batches, got.ephemeral)
	}
	if n := strings.Count(logs.String(), "skipping malformed"); n != len(bad)-1 {
		t.Errorf("got %d malformed-message log lines, want %d; log:\n%s", n, len(bad)-1, logs.String())
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestOpenRedisErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		notIn     string // what the error must not repeat
	}{
		{"bad scheme", "http://user:hunter2@localhost:6379", "hunter2"},
		{"bad port", "redis://user:hunter2@localhost:port/0", "hunter2"},
		{"unreachable", "redis://user:hunter2@127.0.0.1:1/0", "hunter2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client, err := OpenRedis(testContext(t), tt.url)
			if err == nil {
				_ = client.Close()
				t.Fatal("got nil error, want one")
			}
			if strings.Contains(err.Error(), tt.notIn) {
				t.Errorf("got error %q, which leaks %q", err, tt.notIn)
			}
		})
	}
}

func TestGlobEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"supportd:", "supportd:"},
		{`a*b?c[d]e\f`, `a\*b\?c\[d\]e\\f`},
	}
	for _, tt := range tests {
		if got := globEscape(tt.in); got != tt.want {
			t.Errorf("globEscape(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// BenchmarkRedisRoundTrip measures publish → receive of one event on one
// broker, on the real Redis.
func BenchmarkRedisRoundTrip(b *testing.B) {
	url := realRedisURL(b)
	prefix := randomPrefix(b)
	br := newTestRedis(b, url, prefix)
	got := make(chan int64, 16)
	h := &funcHandler{events: func(evs []store.Event) { got <- evs[0].ID }}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- br.Subscribe(ctx, h) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			b.Errorf("Subscribe: %v", err)
		}
	}()
	evs := []store.Event{testEvent(0, store.EventThreadAdded, `{"message":"hello","attachments":[]}`)}
	// roundTrip publishes event id and waits for it, skipping strays of earlier
	// tries; it reports whether id came back within wait.
	roundTrip := func(id int64, wait time.Duration) bool {
		evs[0].ID = id
		if err := br.Publish(ctx, evs); err != nil {
			b.Fatal(err)
		}
		timeout := time.After(wait)
		for {
			select {
			case got := <-got:
				if got == id {
					return true
				}
			case <-timeout:
				return false
			}
		}
	}
	id := int64(0)
	for { // until the subscription is live
		id++
		if roundTrip(id, 50*time.Millisecond) {
			break
		}
	}
	for b.Loop() {
		id++
		if !roundTrip(id, waitTimeout) {
			b.Fatalf("event %d never came back", id)
		}
	}
}

// funcHandler adapts functions to a Handler.
type funcHandler struct{ events func([]store.Event) }

func (h *funcHandler) Events(evs []store.Event) { h.events(evs) }
func (h *funcHandler) Ephemeral(Ephemeral)      {}
func (h *funcHandler) Subscribed()              {}
func (h *funcHandler) Unsubscribed()            {}
