package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
)

// TestBigAnswersDrawOnTheBudget reads a ticket whose answer is several 64 KiB units
// long until the caller's budget (burst 100, hardly any refill) runs out: each read
// costs one request plus one per full 64 KiB, so far fewer than 100 reads pass, while
// another caller's small answers cost one each.
func TestBigAnswersDrawOnTheBudget(t *testing.T) {
	e := newEnv(t, memory.New(), withConfig(api.Config{RateLimit: 0.01, RateBurst: 100}))
	a, b := e.client(t, "A"), e.client(t, "B")
	threads := make([]map[string]any, 40)
	for i := range threads {
		threads[i] = map[string]any{"message": strings.Repeat(fmt.Sprintf("%d ", i%10), 4500)}
	}
	r := e.req(t, "POST", "/support-tickets/insert", a.token, map[string]any{"title": "big", "category": "other", "threads": threads})
	wantStatus(t, r, http.StatusCreated, "")
	var created struct{ Data store.Ticket }
	r.decode(t, &created)
	left := 100 - 1 - len(r.body)/(64<<10) // what the insert left

	get := e.req(t, "GET", "/support-tickets/"+string(created.Data.ID), a.token, nil)
	wantStatus(t, get, http.StatusOK, "")
	cost := 1 + len(get.body)/(64<<10)
	if cost < 4 {
		t.Fatalf("the answer is %d bytes: too small for this test", len(get.body))
	}
	left -= cost
	passed := 1
	for ; passed < 100; passed++ {
		if g := e.req(t, "GET", "/support-tickets/"+string(created.Data.ID), a.token, nil); g.status == http.StatusTooManyRequests {
			break
		}
	}
	// A read passes while a whole request is left, then pays the rest into debt.
	want := 1 + (left+cost-1)/cost
	if passed < want-1 || passed > want+1 {
		t.Errorf("reads of a %d-byte answer that passed: got %d, want %d±1 (each costs %d of a budget of 100)", len(get.body), passed, want, cost)
	}
	e.createTicket(t, b, "small")
	for i := range 20 {
		wantStatus(t, e.req(t, "GET", "/support-tickets", b.token, nil), http.StatusOK, fmt.Sprint("small read ", i))
	}
}

// TestSeenCostsOnePerHundredIDs: a seen call of 1,000 ids draws 10 requests from the
// caller's budget (burst 20 here), so the second call takes what is left and the third
// is refused, as a call of one id is then too.
func TestSeenCostsOnePerHundredIDs(t *testing.T) {
	e := newEnv(t, memory.New(), withConfig(api.Config{RateLimit: 0.01, RateBurst: 21}))
	a := e.client(t, "A")
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%024x", i+1)
	}
	seen := func(ids []string) response {
		return e.req(t, "PUT", "/support-tickets/threads/seen", a.token, map[string]any{"threadIds": ids})
	}
	wantStatus(t, seen(ids), http.StatusOK, "")
	wantStatus(t, seen(ids), http.StatusOK, "")
	r := seen(ids)
	wantStatus(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	wantStatus(t, seen(ids[:1]), http.StatusTooManyRequests, "")
}

func TestSeenCost(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 1}, {1, 1}, {100, 1}, {101, 2}, {1000, 10}} {
		if got := store.SeenCost(c.n); got != c.want {
			t.Errorf("SeenCost(%d): got %d, want %d", c.n, got, c.want)
		}
	}
}
