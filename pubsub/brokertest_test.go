package pubsub

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// brokerEnv is one Broker implementation under the shared suite. Brokers made by
// one env's newBroker share their state, as instances share a Redis.
type brokerEnv struct {
	// newBroker returns a broker, closed when the test ends.
	newBroker func(t *testing.T) Broker
	// advance makes d pass for presence ttls.
	advance func(t *testing.T, d time.Duration)
	// shortTTL is a ttl the expiry case can wait out with advance.
	shortTTL time.Duration
}

// waitTimeout bounds every wait for a delivery: generous, since -race on a
// loaded machine is slow, yet a hang still fails in seconds.
const waitTimeout = 10 * time.Second

// testBroker runs the behaviour every Broker must have; newEnv gives each case a
// fresh, isolated env.
func testBroker(t *testing.T, newEnv func(t *testing.T) brokerEnv) {
	t.Run("PublishOrderAndFields", func(t *testing.T) {
		env := newEnv(t)
		b := env.newBroker(t)
		rec := startSubscriber(t, b)

		first := []store.Event{
			testEvent(1, store.EventTicketCreated, `{"_id":"65a4f1c2e4b0a1b2c3d4e5f6","title":"<b>Login</b> fails & \"quotes\" é ✓"}`),
			testEvent(2, store.EventThreadAdded, `{"message":"hi","attachments":[]}`),
			testEvent(3, store.EventCounts, ""), // nil Data
		}
		second := []store.Event{testEvent(4, store.EventTicketStatus, `{"status":"resolved","previousStatus":"pending"}`)}
		mustPublish(t, b, first)
		mustPublishEphemeral(t, b, Ephemeral{Type: "typing", TicketID: testID(9)})
		mustPublish(t, b, second)

		rec.waitFor(t, "two batches and an ephemeral", func(r *recording) bool { return len(r.batches) == 2 && len(r.ephemeral) == 1 })
		got := rec.snapshot()
		checkEvents(t, got.batches[0], first)
		checkEvents(t, got.batches[1], second)
		if want := []string{"subscribed", "events", "ephemeral", "events"}; !slices.Equal(got.calls, want) {
			t.Errorf("got calls %v, want %v", got.calls, want)
		}
	})

	t.Run("EphemeralRoundTrip", func(t *testing.T) {
		env := newEnv(t)
		b := env.newBroker(t)
		rec := startSubscriber(t, b)
		want := Ephemeral{
			Type:     "typing",
			TicketID: testID(1),
			ClientID: testID(2),
			From:     testID(3),
			Data:     json.RawMessage(`{"user":{"_id":"000000000000000000000003","name":"Zoë <agent>"},"role":"superAdmin"}`),
			Instance: "host-a:8080",
		}
		mustPublishEphemeral(t, b, want)
		mustPublishEphemeral(t, b, Ephemeral{Type: "presence", Instance: "host-b"})
		rec.waitFor(t, "two ephemeral messages", func(r *recording) bool { return len(r.ephemeral) == 2 })
		got := rec.snapshot().ephemeral
		checkEphemeral(t, got[0], want)
		checkEphemeral(t, got[1], Ephemeral{Type: "presence", Instance: "host-b"})
	})

	t.Run("EveryInstanceReceives", func(t *testing.T) {
		env := newEnv(t)
		a, b := env.newBroker(t), env.newBroker(t)
		recs := []*recorder{startSubscriber(t, a), startSubscriber(t, b), startSubscriber(t, b)}
		evs := []store.Event{testEvent(7, store.EventThreadAdded, `{"message":"x"}`)}
		mustPublish(t, a, evs)
		for i, rec := range recs {
			rec.waitFor(t, fmt.Sprintf("subscriber %d's batch", i), func(r *recording) bool { return len(r.batches) == 1 })
			checkEvents(t, rec.snapshot().batches[0], evs)
		}
	})

	t.Run("SubscribedOnceAtStart", func(t *testing.T) {
		env := newEnv(t)
		b := env.newBroker(t)
		rec := startSubscriber(t, b) // waits for the first Subscribed
		mustPublish(t, b, []store.Event{testEvent(1, store.EventCounts, "")})
		rec.waitFor(t, "a batch", func(r *recording) bool { return len(r.batches) == 1 })
		if got := rec.snapshot().subscribed; got != 1 {
			t.Errorf("got %d Subscribed calls, want 1", got)
		}
	})

	t.Run("CancelReturnsNil", func(t *testing.T) {
		env := newEnv(t)
		b := env.newBroker(t)
		rec := startSubscriber(t, b)
		start := time.Now()
		err := rec.stop(t)
		if err != nil {
			t.Errorf("Subscribe: got %v, want nil", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Subscribe took %v to return after cancel, want under 1s", d)
		}
	})

	t.Run("CloseEndsEverything", func(t *testing.T) {
		env := newEnv(t)
		b := env.newBroker(t)
		rec := startSubscriber(t, b)
		if err := b.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := rec.wait(t); !errors.Is(err, ErrClosed) {
			t.Errorf("Subscribe after Close: got %v, want ErrClosed", err)
		}
		ctx := testContext(t)
		if err := b.Publish(ctx, []store.Event{testEvent(1, store.EventCounts, "")}); !errors.Is(err, ErrClosed) {
			t.Errorf("Publish after Close: got %v, want ErrClosed", err)
		}
		if err := b.Ping(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("Ping after Close: got %v, want ErrClosed", err)
		}
		if err := b.Close(); err != nil {
			t.Errorf("second Close: got %v, want nil", err)
		}
	})

	t.Run("Ping", func(t *testing.T) {
		env := newEnv(t)
		if err := env.newBroker(t).Ping(testContext(t)); err != nil {
			t.Errorf("Ping: got %v, want nil", err)
		}
	})

	t.Run("Presence", func(t *testing.T) {
		ann, bob, cy := person(1, "Ann"), person(2, "Bob"), person(3, "Cy")
		annAgain := person(1, "Ann on b")
		tests := []struct {
			name string
			set  func(t *testing.T, env brokerEnv, a, b Broker)
			want []store.Person
		}{
			{
				name: "nobody",
				set:  func(t *testing.T, env brokerEnv, a, b Broker) {},
				want: []store.Person{},
			},
			{
				name: "union of two instances, sorted, deduplicated",
				set: func(t *testing.T, env brokerEnv, a, b Broker) {
					mustSetPresence(t, a, "inst-a", []store.Person{cy, ann}, time.Minute)
					mustSetPresence(t, b, "inst-b", []store.Person{annAgain, bob}, time.Minute)
				},
				want: []store.Person{ann, bob, cy}, // Ann's name from inst-a, first by name
			},
			{
				name: "set again replaces",
				set: func(t *testing.T, env brokerEnv, a, b Broker) {
					mustSetPresence(t, a, "inst-a", []store.Person{ann, bob}, time.Minute)
					mustSetPresence(t, a, "inst-a", []store.Person{cy}, time.Minute)
				},
				want: []store.Person{cy},
			},
			{
				name: "empty list removes the instance",
				set: func(t *testing.T, env brokerEnv, a, b Broker) {
					mustSetPresence(t, a, "inst-a", []store.Person{ann}, time.Minute)
					mustSetPresence(t, b, "inst-b", []store.Person{bob}, time.Minute)
					mustSetPresence(t, a, "inst-a", nil, time.Minute)
				},
				want: []store.Person{bob},
			},
			{
				name: "expires after ttl",
				set: func(t *testing.T, env brokerEnv, a, b Broker) {
					mustSetPresence(t, a, "inst-a", []store.Person{ann}, env.shortTTL)
					mustSetPresence(t, b, "inst-b", []store.Person{bob}, 100*env.shortTTL)
					if got := mustPresence(t, a); len(got) != 2 {
						t.Fatalf("before the ttl: got %v, want Ann and Bob", got)
					}
					env.advance(t, env.shortTTL+env.shortTTL/2)
				},
				want: []store.Person{bob},
			},
			{
				name: "refresh keeps it alive",
				set: func(t *testing.T, env brokerEnv, a, b Broker) {
					mustSetPresence(t, a, "inst-a", []store.Person{ann}, env.shortTTL)
					env.advance(t, env.shortTTL*2/3)
					mustSetPresence(t, a, "inst-a", []store.Person{ann}, env.shortTTL)
					env.advance(t, env.shortTTL*2/3)
				},
				want: []store.Person{ann},
			},
		}
		t.Run("except leaves one instance out", func(t *testing.T) {
			env := newEnv(t)
			a, b := env.newBroker(t), env.newBroker(t)
			mustSetPresence(t, a, "inst-a", []store.Person{ann, cy}, time.Minute)
			mustSetPresence(t, b, "inst-b", []store.Person{bob, cy}, time.Minute)
			got, err := a.Presence(testContext(t), "inst-a")
			if want := []store.Person{bob, cy}; err != nil || !slices.Equal(got, want) {
				t.Errorf("Presence except inst-a: got %v, %v, want %v", got, err, want)
			}
		})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				env := newEnv(t)
				a, b := env.newBroker(t), env.newBroker(t)
				tt.set(t, env, a, b)
				for _, br := range []Broker{a, b} {
					if got := mustPresence(t, br); !slices.Equal(got, tt.want) {
						t.Errorf("got presence %v, want %v", got, tt.want)
					}
				}
			})
		}
	})

	t.Run("PresenceBadArguments", func(t *testing.T) {
		env := newEnv(t)
		b := env.newBroker(t)
		tests := []struct {
			name     string
			instance string
			ttl      time.Duration
		}{
			{"zero ttl", "inst-a", 0},
			{"negative ttl", "inst-a", -time.Second},
			{"no instance", "", time.Minute},
		}
		for _, tt := range tests {
			if err := b.SetPresence(testContext(t), tt.instance, []store.Person{person(1, "Ann")}, tt.ttl); err == nil {
				t.Errorf("SetPresence with %s: got nil, want an error", tt.name)
			}
		}
	})
}

// recorder is a Handler that remembers every call, and fails the test if two
// calls overlap (the Handler contract: one goroutine, in order).
type recorder struct {
	active  atomic.Int32
	changed chan struct{} // poked after every call

	mu  sync.Mutex
	rec recording

	// stop ends the Subscribe call and returns its error; wait waits for it to
	// end by itself. Both are set by startSubscriber.
	stop func(t testing.TB) error
	wait func(t testing.TB) error
}

type recording struct {
	calls      []string
	batches    [][]store.Event
	ephemeral  []Ephemeral
	subscribed int
	overlaps   int
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) enter() {
	if r.active.Add(1) != 1 {
		r.mu.Lock()
		r.rec.overlaps++
		r.mu.Unlock()
	}
}

func (r *recorder) leave() {
	r.active.Add(-1)
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) Events(evs []store.Event) {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.calls = append(r.rec.calls, "events")
	r.rec.batches = append(r.rec.batches, evs)
}

func (r *recorder) Ephemeral(m Ephemeral) {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.calls = append(r.rec.calls, "ephemeral")
	r.rec.ephemeral = append(r.rec.ephemeral, m)
}

// Unsubscribed is not recorded: the calls the tests compare are the deliveries.
func (r *recorder) Unsubscribed() {}

func (r *recorder) Subscribed() {
	r.enter()
	defer r.leave()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rec.calls = append(r.rec.calls, "subscribed")
	r.rec.subscribed++
}

// snapshot copies the recording.
func (r *recorder) snapshot() recording {
	r.mu.Lock()
	defer r.mu.Unlock()
	return recording{
		calls:      slices.Clone(r.rec.calls),
		batches:    slices.Clone(r.rec.batches),
		ephemeral:  slices.Clone(r.rec.ephemeral),
		subscribed: r.rec.subscribed,
		overlaps:   r.rec.overlaps,
	}
}

// waitFor waits until cond holds, or fails the test after waitTimeout.
func (r *recorder) waitFor(t testing.TB, what string, cond func(*recording) bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		rec := r.snapshot()
		if rec.overlaps > 0 {
			t.Fatalf("handler calls overlapped %d times, want them on one goroutine", rec.overlaps)
		}
		if cond(&rec) {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(10 * time.Millisecond): // cheap insurance against a lost poke
		case <-deadline.C:
			t.Fatalf("waiting for %s: timed out after %v; got calls %v", what, waitTimeout, rec.calls)
		}
	}
}

// startSubscriber runs b.Subscribe in a goroutine and waits for its first
// Subscribed. The subscription is stopped (and its error checked) at cleanup
// unless the test stops it first.
func startSubscriber(t testing.TB, b Broker) *recorder {
	t.Helper()
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Subscribe(ctx, rec) }()

	var (
		once sync.Once
		err  error
	)
	rec.wait = func(t testing.TB) error {
		t.Helper()
		once.Do(func() {
			select {
			case err = <-errc:
			case <-time.After(waitTimeout):
				err = errors.New("Subscribe did not return")
			}
		})
		return err
	}
	rec.stop = func(t testing.TB) error {
		t.Helper()
		cancel()
		return rec.wait(t)
	}
	t.Cleanup(func() {
		if err := rec.stop(t); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Subscribe: got %v, want nil", err)
		}
	})
	rec.waitFor(t, "the first Subscribed", func(r *recording) bool { return r.subscribed >= 1 })
	return rec
}

func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

func mustPublish(t testing.TB, b Broker, evs []store.Event) {
	t.Helper()
	if err := b.Publish(testContext(t), evs); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func mustPublishEphemeral(t testing.TB, b Broker, m Ephemeral) {
	t.Helper()
	if err := b.PublishEphemeral(testContext(t), m); err != nil {
		t.Fatalf("PublishEphemeral: %v", err)
	}
}

func mustSetPresence(t testing.TB, b Broker, instance string, online []store.Person, ttl time.Duration) {
	t.Helper()
	if err := b.SetPresence(testContext(t), instance, online, ttl); err != nil {
		t.Fatalf("SetPresence(%s): %v", instance, err)
	}
}

func mustPresence(t testing.TB, b Broker) []store.Person {
	t.Helper()
	got, err := b.Presence(testContext(t), "")
	if err != nil {
		t.Fatalf("Presence: %v", err)
	}
	return got
}

// testID makes a valid id ending in n.
func testID(n int) store.ID { return store.ID(fmt.Sprintf("%024x", n)) }

func person(n int, name string) store.Person { return store.Person{ID: testID(n), Name: name} }

// testEvent makes an event with every field set; data "" leaves Data nil.
func testEvent(id int64, typ store.EventType, data string) store.Event {
	ev := store.Event{
		ID:       id,
		Type:     typ,
		TicketID: testID(100 + int(id)),
		ClientID: testID(200),
		// Milliseconds that a seconds-only encoding would lose.
		At: store.At(time.Date(2024, 1, 15, 10, 30, 0, int(id)*1_000_000+123_000_000, time.UTC)),
	}
	if data != "" {
		ev.Data = json.RawMessage(data)
	}
	return ev
}

func checkEvents(t testing.TB, got, want []store.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Type != w.Type || g.TicketID != w.TicketID || g.ClientID != w.ClientID ||
			!g.At.Equal(w.At.Time) || !bytes.Equal(g.Data, w.Data) || (g.Data == nil) != (w.Data == nil) {
			t.Errorf("event %d: got %s, want %s", i, formatEvent(g), formatEvent(w))
		}
	}
}

func formatEvent(ev store.Event) string {
	data := "nil"
	if ev.Data != nil {
		data = string(ev.Data)
	}
	return fmt.Sprintf("{%d %s ticket=%s client=%s at=%s data=%s}", ev.ID, ev.Type, ev.TicketID, ev.ClientID, ev.At.Format(store.TimeLayout), data)
}

func checkEphemeral(t testing.TB, got, want Ephemeral) {
	t.Helper()
	if got.Type != want.Type || got.TicketID != want.TicketID || got.ClientID != want.ClientID ||
		got.From != want.From || got.Instance != want.Instance || !bytes.Equal(got.Data, want.Data) {
		t.Errorf("got ephemeral %+v (data %s), want %+v (data %s)", got, got.Data, want, want.Data)
	}
}

// randomPrefix isolates one test's channels and keys on a shared Redis.
func randomPrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	return "supportdtest:" + name + ":" + hex.EncodeToString(b[:]) + ":"
}
