package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/supportd/supportd/store"
)

func TestInsertValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("ü", n) }
	threads := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"message": "m"}
		}
		return out
	}
	attachments := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "aaaaaaaaaaaaaaaaaaaaaaaa"
		}
		return out
	}
	with := func(k string, v any) map[string]any {
		b := ticketBody("t")
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cats := "billing, integration, smartCheck, smartScan, smartEnroll, smartAccess, other"
	cases := []struct {
		name string
		body any
		want string
	}{
		{"malformed json", `{"title":`, "Malformed JSON"},
		{"data after the body", `{"title":"a"} {}`, "Malformed JSON"},
		{"array body", `[]`, "Request body must be a JSON object"},
		{"empty body", ``, "Malformed JSON"},
		{"null body", `null`, "Request body must be a JSON object"},
		{"no title", with("title", nil), "title is required"},
		{"blank title", with("title", "   "), "title is required"},
		{"title of wrong type", with("title", 5), "title must be a string"},
		{"title too long", with("title", long(201)), "title must be at most 200 characters"},
		{"title with NUL", with("title", "a\x00b"), "title must not contain NUL characters"},
		{"no category", with("category", nil), "category is required"},
		{"unknown category", with("category", "food"), "category must be one of " + cats},
		{"no threads", with("threads", nil), "threads is required"},
		{"empty threads", with("threads", []any{}), "threads is required"},
		{"threads not an array", with("threads", "x"), "threads must be an array"},
		{"too many threads", with("threads", threads(101)), "threads must have at most 100 items"},
		{"thread not an object", with("threads", []any{"x"}), "threads[0] must be an object"},
		{"thread without message", with("threads", []any{map[string]any{"message": "a"}, map[string]any{}, map[string]any{}}), "threads[1].message is required"},
		{"message too long", with("threads", []any{map[string]any{"message": long(10001)}}), "threads[0].message must be at most 10000 characters"},
		{"too many attachments", with("threads", []any{map[string]any{"message": "a", "attachments": attachments(21)}}), "threads[0].attachments must have at most 20 items"},
		{"malformed attachment", with("threads", []any{map[string]any{"message": "a", "attachments": []string{"nope"}}}), "threads[0].attachments[0] must be an id"},
		{"subject too long", with("subject", long(201)), "subject must be at most 200 characters"},
		{"api too long", with("api", long(101)), "api must be at most 100 characters"},
		{"api of wrong type", with("api", true), "api must be a string"},
	}
	eachStore(t, func(t *testing.T, e *env) {
		u := e.client(t, "Acme")
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.req(t, "POST", "/support-tickets/insert", u.token, c.body)
				wantStatus(t, r, http.StatusBadRequest, c.want)
			})
		}
		if n := len(e.events(t)); n != 0 {
			t.Fatalf("rejected inserts recorded %d events", n)
		}
	})
}

func TestInsertAtTheLimitsIsAccepted(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		u := e.client(t, "Acme")
		threads := make([]map[string]any, 100)
		att := make([]string, 20)
		for j := range att {
			att[j] = "aaaaaaaaaaaaaaaaaaaaaaaa"
		}
		for i := range threads {
			threads[i] = map[string]any{"message": "m", "attachments": att}
		}
		threads[99]["message"] = strings.Repeat("ü", 10000)
		body := map[string]any{
			"title": strings.Repeat("ü", 200), "subject": strings.Repeat("s", 200), "api": strings.Repeat("a", 100),
			"category": "other", "threads": threads, "unknownField": 1,
		}
		r := e.req(t, "POST", "/support-tickets/insert", u.token, body)
		wantStatus(t, r, http.StatusCreated, "")
	})
}

func TestInsertShape(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		u := e.client(t, "Acme")
		tk := e.createTicket(t, u, "Printer on fire")
		if tk.Number != 1001 || tk.Status != store.StatusPending || tk.Title != "Printer on fire" {
			t.Fatalf("ticket: got number %d status %s title %q", tk.Number, tk.Status, tk.Title)
		}
		if tk.Subject != nil || tk.API != nil || tk.IssueURL != nil || tk.Assignee != nil {
			t.Fatalf("optional fields should be null: %+v", tk)
		}
		if tk.Client != (store.Person{ID: u.ID, Name: "Acme"}) {
			t.Fatalf("client: got %+v", tk.Client)
		}
		if len(tk.Threads) != 1 || tk.Threads[0].SuperAdmin != nil || tk.Threads[0].Client.ID != u.ID ||
			tk.Threads[0].TicketID != tk.ID || tk.Threads[0].Attachments == nil || tk.Threads[0].SeenAt != nil {
			t.Fatalf("threads: got %+v", tk.Threads)
		}
		if tk.Unread == nil || *tk.Unread != 0 {
			t.Fatalf("unread: got %v, want 0", tk.Unread)
		}
		// The raw JSON has every field of the contract, nulls included.
		r := e.req(t, "GET", "/support-tickets/"+string(tk.ID), u.token, nil)
		for _, field := range []string{`"_id":`, `"subject":null`, `"api":null`, `"issueUrl":null`, `"assignee":null`, `"unread":0`, `"number":1001`, `"superAdmin":null`, `"seenAt":null`, `"attachments":[]`, `"supportTicket":`} {
			if !strings.Contains(string(r.body), field) {
				t.Errorf("body lacks %s: %s", field, r.body)
			}
		}
		if got := string(tk.CreatedAt.Format(store.TimeLayout)); !strings.Contains(string(r.body), `"createdAt":"`+got+`"`) {
			t.Errorf("createdAt not in millisecond form %s: %s", got, r.body)
		}
		if got := e.createTicket(t, u, "second").Number; got != 1002 {
			t.Fatalf("second number: got %d, want 1002", got)
		}
	})
}

func TestInsertClientFieldIsIgnoredForClients(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b := e.client(t, "A"), e.client(t, "B")
		tk := e.createTicket(t, a, "mine", b)
		if tk.Client.ID != a.ID {
			t.Fatalf("owner: got %s, want %s", tk.Client.ID, a.ID)
		}
		body := ticketBody("malformed client")
		body["client"] = "not an id"
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", a.token, body), http.StatusCreated, "")
	})
}

func TestInsertBySuperAdmin(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		agent, c := e.agent(t, "Ann"), e.client(t, "Acme")
		r := e.req(t, "POST", "/support-tickets/insert", agent.token, ticketBody("x"))
		wantStatus(t, r, http.StatusBadRequest, "client is required")
		body := ticketBody("x")
		body["client"] = "ffffffffffffffffffffffff"
		r = e.req(t, "POST", "/support-tickets/insert", agent.token, body)
		wantStatus(t, r, http.StatusBadRequest, "client is not known")
		body["client"] = agent.ID
		r = e.req(t, "POST", "/support-tickets/insert", agent.token, body)
		wantStatus(t, r, http.StatusBadRequest, "client is not known")
		body["client"] = "XYZ"
		r = e.req(t, "POST", "/support-tickets/insert", agent.token, body)
		wantStatus(t, r, http.StatusBadRequest, "client must be an id")

		tk := e.createTicket(t, agent, "for acme", c)
		if tk.Client.ID != c.ID || tk.Threads[0].SuperAdmin == nil || tk.Threads[0].SuperAdmin.ID != agent.ID || tk.Threads[0].Client.ID != c.ID {
			t.Fatalf("ticket: got client %+v thread %+v", tk.Client, tk.Threads[0])
		}
		// The client sees it as its own, with the agent's thread unread.
		got := e.get(t, c, tk.ID)
		if *got.Unread != 1 {
			t.Fatalf("client unread: got %d, want 1", *got.Unread)
		}
	})
}

func TestConcurrentCreatesGetDistinctNumbers(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		u := e.client(t, "Acme")
		const n = 50
		numbers := make(chan int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := e.req(t, "POST", "/support-tickets/insert", u.token, ticketBody(fmt.Sprint("t", i)))
				if r.status != http.StatusCreated {
					t.Errorf("create %d: got %d %s", i, r.status, r.body)
					return
				}
				var out struct{ Data store.Ticket }
				r.decode(t, &out)
				numbers <- out.Data.Number
			})
		}
		wg.Wait()
		close(numbers)
		seen := map[int64]bool{}
		for num := range numbers {
			if seen[num] || num < 1001 || num > 1050 {
				t.Fatalf("number %d repeated or out of 1001..1050", num)
			}
			seen[num] = true
		}
		if len(seen) != n {
			t.Fatalf("got %d numbers, want %d", len(seen), n)
		}
	})
}
