package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookReceiver is a webhook endpoint in the test: it verifies each request's
// Standard Webhooks signature on its own (not with the server's code), records the
// event id and arrival time, then answers 204 after `slow`, so that a request is in
// flight most of the time.
type hookReceiver struct {
	url  string
	slow time.Duration

	mu       sync.Mutex
	key      []byte
	arrivals []hookArrival
	bad      []string // why requests failed verification
	inFlight int
}

type hookArrival struct {
	id int64
	at time.Time
}

func newHookReceiver(t *testing.T, slow time.Duration) *hookReceiver {
	t.Helper()
	h := &hookReceiver{slow: slow}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

// setSecret takes the webhook's secret (whsec_ and base64 of the key).
func (h *hookReceiver) setSecret(secret string) {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	h.mu.Lock()
	defer h.mu.Unlock()
	h.key = key
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // the sender died mid-request
	}
	h.mu.Lock()
	id, why := h.verify(r.Header, body)
	if why != "" {
		h.bad = append(h.bad, why)
	} else {
		h.arrivals = append(h.arrivals, hookArrival{id: id, at: time.Now()})
	}
	h.inFlight++
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.inFlight--
		h.mu.Unlock()
	}()
	select {
	case <-time.After(h.slow):
	case <-r.Context().Done():
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// verify checks the signature (h.mu held) and that the body is the event the
// webhook-id names; it returns the id, or why the request is not valid.
func (h *hookReceiver) verify(hd http.Header, body []byte) (int64, string) {
	msgID, ts := hd.Get("webhook-id"), hd.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return 0, "timestamp " + ts
	}
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(msgID + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	signed := false
	for _, s := range strings.Fields(hd.Get("webhook-signature")) {
		signed = signed || hmac.Equal([]byte(s), []byte(want))
	}
	if !signed {
		return 0, "bad signature on " + msgID
	}
	var env struct{ ID string }
	if err := json.Unmarshal(body, &env); err != nil || env.ID != msgID {
		return 0, "body of " + msgID + " is event " + env.ID
	}
	id, err := strconv.ParseInt(msgID, 10, 64)
	if err != nil {
		return 0, "webhook-id " + msgID
	}
	return id, ""
}

func (h *hookReceiver) busy() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.inFlight > 0
}

// distinct is how many event ids arrived.
func (h *hookReceiver) distinct() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[int64]bool{}
	for _, a := range h.arrivals {
		seen[a.id] = true
	}
	return len(seen)
}

// waitFor waits until n distinct events arrived.
func (h *hookReceiver) waitFor(t *testing.T, n int, wait time.Duration, what string) {
	t.Helper()
	if !wsEventually(wait, func() bool { return h.distinct() >= n }) {
		t.Fatalf("%s: %d events arrived in %v, want %d", what, h.distinct(), wait, n)
	}
}

// firstAfter returns when the first request after `since` arrived.
func (h *hookReceiver) firstAfter(since time.Time) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.arrivals {
		if a.at.After(since) {
			return a.at, true
		}
	}
	return time.Time{}, false
}

// check wants every request signed, exactly the ids of want (in order) at least
// once each, and each id first arriving after every smaller one.
func (h *hookReceiver) check(t *testing.T, want []int64) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bad) > 0 {
		t.Errorf("%d requests failed verification, first: %s", len(h.bad), h.bad[0])
	}
	wanted := map[int64]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	var firsts []int64
	seen := map[int64]bool{}
	for _, a := range h.arrivals {
		if !wanted[a.id] {
			t.Errorf("event %d arrived; it is not a subscribed event of the log", a.id)
		}
		if !seen[a.id] {
			seen[a.id] = true
			firsts = append(firsts, a.id)
		}
	}
	for i := 1; i < len(firsts); i++ {
		if firsts[i] < firsts[i-1] {
			t.Errorf("event %d first arrived after event %d", firsts[i], firsts[i-1])
		}
	}
	for _, id := range want {
		if !seen[id] {
			t.Errorf("event %d never arrived", id)
		}
	}
	t.Logf("%d requests for %d events (%d re-sent)", len(h.arrivals), len(want), len(h.arrivals)-len(firsts))
}
