package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/supportd/supportd/store"
)

func TestIdempotentInsert(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b := e.client(t, "A"), e.client(t, "B")
		body := ticketBody("once")
		first := e.req(t, "POST", "/support-tickets/insert", a.token, body, "Idempotency-Key", "k-1")
		wantStatus(t, first, http.StatusCreated, "")
		again := e.req(t, "POST", "/support-tickets/insert", a.token, body, "Idempotency-Key", "k-1")
		wantStatus(t, again, http.StatusCreated, "")
		if strings.TrimSpace(string(again.body)) != strings.TrimSpace(string(first.body)) {
			t.Fatalf("replay body differs:\n%s\n%s", first.body, again.body)
		}
		if got := e.list(t, a, "").Total; got != 1 {
			t.Fatalf("tickets after replay: got %d, want 1", got)
		}
		other := ticketBody("another body")
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", a.token, other, "Idempotency-Key", "k-1"), http.StatusConflict, "")
		// Keys are per caller.
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", b.token, body, "Idempotency-Key", "k-1"), http.StatusCreated, "")

		for _, key := range []string{strings.Repeat("k", 256), "ключ", "a\tb"} {
			r := e.req(t, "POST", "/support-tickets/insert", a.token, body, "Idempotency-Key", key)
			wantStatus(t, r, http.StatusBadRequest, "Idempotency-Key must be 1 to 255 printable ASCII characters")
		}
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", a.token, body, "Idempotency-Key", strings.Repeat("k", 255)), http.StatusCreated, "")

		// A failed request is not remembered: the same key works once the body is fixed.
		bad := ticketBody("x")
		delete(bad, "title")
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", a.token, bad, "Idempotency-Key", "k-2"), http.StatusBadRequest, "")
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", a.token, ticketBody("fixed"), "Idempotency-Key", "k-2"), http.StatusCreated, "")
	})
}

func TestIdempotentReplyUnderRace(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a := e.client(t, "A")
		tk := e.createTicket(t, a, "hi")
		path := "/support-tickets/" + string(tk.ID) + "/thread"
		const n = 10
		bodies := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := e.req(t, "POST", path, a.token, map[string]any{"message": "only once"}, "Idempotency-Key", "race")
				if r.status != http.StatusCreated {
					t.Errorf("got %d %s", r.status, r.body)
				}
				bodies[i] = string(r.body)
			})
		}
		wg.Wait()
		for i := range bodies {
			if bodies[i] != bodies[0] {
				t.Fatalf("answers differ:\n%s\n%s", bodies[0], bodies[i])
			}
		}
		if got := len(e.get(t, a, tk.ID).Threads); got != 2 {
			t.Fatalf("threads: got %d, want 2", got)
		}
		// The same key on another ticket is another request.
		tk2 := e.createTicket(t, a, "other")
		wantStatus(t, e.req(t, "POST", "/support-tickets/"+string(tk2.ID)+"/thread", a.token, map[string]any{"message": "only once"}, "Idempotency-Key", "race"), http.StatusConflict, "")
		// A reply to a missing ticket is a 404 and is not remembered.
		missing := "/support-tickets/ffffffffffffffffffffffff/thread"
		wantStatus(t, e.req(t, "POST", missing, a.token, map[string]any{"message": "x"}, "Idempotency-Key", "k9"), http.StatusNotFound, "")
		var typ []store.EventType
		for _, ev := range e.events(t) {
			if ev.Type == store.EventThreadAdded {
				typ = append(typ, ev.Type)
			}
		}
		if len(typ) != 3 {
			t.Fatalf("thread.added events: got %d, want 3 (2 initial, 1 reply)", len(typ))
		}
	})
}

func TestEmptyIdempotencyKeyIsRefused(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	a := e.client(t, "A")
	r, err := http.NewRequest("POST", e.url+"/support-tickets/insert", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	r.Header["Idempotency-Key"] = []string{""}
	r.Header.Set("Authorization", "Bearer "+a.token)
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %d, want 400", res.StatusCode)
	}
}
