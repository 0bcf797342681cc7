package pubsub_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// hookStore is a store the deliverer and the test's writes can share.
type hookStore interface {
	store.Store
	store.Webhooks
}

func openPostgres(t *testing.T) hookStore {
	t.Helper()
	db, err := postgres.Open(t.Context(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func openMemory(*testing.T) hookStore { return memory.New() }

// fastHooks are timings that make a test's outage and takeover take milliseconds.
func fastHooks(owner string) pubsub.WebhookConfig {
	return pubsub.WebhookConfig{Owner: owner, LeaseTTL: 400 * time.Millisecond, Renew: 50 * time.Millisecond,
		Poll: 20 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Timeout: time.Second}
}

// runDeliverer runs a deliverer until the returned stop is called (or the test ends).
func runDeliverer(t *testing.T, st pubsub.WebhookStore, cfg pubsub.WebhookConfig) (stop func()) {
	_, stop = startDeliverer(t, st, cfg)
	return stop
}

// startDeliverer is runDeliverer that also returns the deliverer.
func startDeliverer(t *testing.T, st pubsub.WebhookStore, cfg pubsub.WebhookConfig) (*pubsub.Deliverer, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	d := pubsub.NewDeliverer(st, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("deliverer: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return d, stop
}

// receiver is a webhook endpoint that checks every request's signature and keeps
// the event ids it accepted, in arrival order.
type receiver struct {
	t      *testing.T
	secret []byte
	url    string

	mu       sync.Mutex
	failing  bool
	accepted []int64
	refused  int
	onEvent  func(id int64) // called with the lock held, before answering
}

func newReceiver(t *testing.T, secret string) *receiver {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{t: t, secret: key}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, r.secret)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := req.Header.Get("webhook-signature"); got != want {
		r.t.Errorf("event %s: signature %q, want %q", id, got, want)
	}
	if sec, _ := strconv.ParseInt(ts, 10, 64); time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
		r.t.Errorf("event %s: timestamp %s is not now", id, ts)
	}
	var env struct {
		Type, ID, TicketID, At string
		Data                   json.RawMessage
	}
	if err := json.Unmarshal(body, &env); err != nil || env.ID != id || env.Type == "" || env.TicketID == "" || env.At == "" || len(env.Data) == 0 {
		r.t.Errorf("event %s: body %s is not an envelope with that id", id, body)
	}
	n, _ := strconv.ParseInt(id, 10, 64)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		r.refused++
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if r.onEvent != nil {
		r.onEvent(n)
	}
	r.accepted = append(r.accepted, n)
}

func (r *receiver) setFailing(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = v
}

func (r *receiver) refusedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

func (r *receiver) got() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int64(nil), r.accepted...)
}

// waitFor waits until the receiver accepted every id of want (at least once).
func (r *receiver) waitFor(t *testing.T, want []int64, within time.Duration) []int64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := r.got()
		seen := map[int64]bool{}
		for _, id := range got {
			seen[id] = true
		}
		all := true
		for _, id := range want {
			all = all && seen[id]
		}
		if all {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the receiver has %v, want every one of %v", within, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkOrder fails unless got is want in order, where an event may come again only
// right after itself or its predecessor (at least once: a delivery whose position
// was not saved goes again) and never after a later one was accepted.
func checkOrder(t *testing.T, got, want []int64) {
	t.Helper()
	var firsts []int64
	var top int64
	for _, id := range got {
		if id > top {
			firsts, top = append(firsts, id), id
		} else if !slices64Contains(firsts[max(0, len(firsts)-2):], id) {
			t.Errorf("event %d came again after %d: out of order", id, top)
		}
	}
	if !equal64(firsts, want) {
		t.Fatalf("events in order of first arrival: got %v, want %v", firsts, want)
	}
}

func slices64Contains(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func equal64(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hookFixture writes tickets and sequences their events as the relay would.
type hookFixture struct {
	t      *testing.T
	st     hookStore
	ids    *store.IDGen
	client store.Caller
	batch  []store.Event // what the last write sequenced, as the relay would publish it
}

func newHookFixture(t *testing.T, st hookStore) *hookFixture {
	f := &hookFixture{t: t, st: st, ids: store.NewIDGen()}
	f.client = store.Caller{ID: f.ids.New(time.Now()), Name: "Acme", Role: store.RoleClient}
	if err := st.RememberPerson(t.Context(), f.client); err != nil {
		t.Fatal(err)
	}
	return f
}

// webhook registers url for thread.added and ticket.created, and returns it.
func (f *hookFixture) webhook(url string) store.Webhook {
	f.t.Helper()
	w, err := f.st.CreateWebhook(f.t.Context(), store.Webhook{URL: url, Secret: "whsec_" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))),
		Events: []store.EventType{store.EventTicketCreated, store.EventThreadAdded}})
	if err != nil {
		f.t.Fatalf("CreateWebhook: %v", err)
	}
	return w
}

// write creates n tickets of one thread each and returns the ids of the events a
// webhook of fixture.webhook's types gets (counts events are passed over).
func (f *hookFixture) write(n int) []int64 {
	f.t.Helper()
	for i := 0; i < n; i++ {
		_, err := f.st.CreateTicket(f.t.Context(), store.NewTicket{Caller: f.client, Client: f.client.ID,
			Title: "t" + strconv.Itoa(i), Category: "billing", Threads: []store.NewThreadBody{{Message: "hi"}}})
		if err != nil {
			f.t.Fatalf("CreateTicket: %v", err)
		}
	}
	evs, err := f.st.SequenceEvents(f.t.Context())
	if err != nil {
		f.t.Fatalf("SequenceEvents: %v", err)
	}
	f.batch = evs
	var ids []int64
	for _, e := range evs {
		if e.Type != store.EventCounts {
			ids = append(ids, e.ID)
		}
	}
	return ids
}
