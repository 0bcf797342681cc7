package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/supportd/supportd/store"
)

func TestListValidation(t *testing.T) {
	cases := map[string]string{
		"page=0":                               "page must be an integer of at least 1",
		"page=x":                               "page must be an integer of at least 1",
		"limit=0":                              "limit must be an integer from 1 to 100",
		"limit=101":                            "limit must be an integer from 1 to 100",
		"status=open":                          "status must be one of pending, progress, resolved, cancelled",
		"category=x":                           "category must be one of billing, integration, smartCheck, smartScan, smartEnroll, smartAccess, other",
		"sort=title":                           "sort must be one of -createdAt, createdAt, -updatedAt, updatedAt, -number, number",
		"countByStatus=yes":                    "countByStatus must be one of true, false, 1, 0",
		"client=nope":                          "client must be an id",
		"assignee=nope":                        "assignee must be an id",
		"q=" + string(make([]byte, 0)) + "%00": "q must not contain NUL characters",
		"q=a+b+c+d+e+f+g+h+i+j":                "q must have at least one word of 3 or more characters",
		"q=ab":                                 "q must have at least one word of 3 or more characters",
	}
	eachStore(t, func(t *testing.T, e *env) {
		agent := e.agent(t, "Ann")
		for q, want := range cases {
			t.Run(q, func(t *testing.T) {
				wantStatus(t, e.req(t, "GET", "/support-tickets?"+q, agent.token, nil), http.StatusBadRequest, want)
			})
		}
		// A client's client and assignee filters are ignored, even malformed.
		c := e.client(t, "Acme")
		e.createTicket(t, c, "mine")
		if got := e.list(t, c, "client=nope&assignee=ffffffffffffffffffffffff").Total; got != 1 {
			t.Fatalf("client filters should be ignored: total %d", got)
		}
	})
}

func TestListEmptyIs404WithCounts(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		c := e.client(t, "Acme")
		r := e.req(t, "GET", "/support-tickets", c.token, nil)
		wantStatus(t, r, http.StatusNotFound, "No support tickets found")
		if r.header.Get("X-Last-Event-Id") == "" {
			t.Error("404 list lacks X-Last-Event-Id")
		}
		e.createTicket(t, c, "one")
		r = e.req(t, "GET", "/support-tickets?status=resolved&countByStatus=true", c.token, nil)
		wantStatus(t, r, http.StatusNotFound, "No support tickets found")
		var body struct{ Counts *store.Counts }
		r.decode(t, &body)
		if body.Counts == nil || body.Counts.All != 1 || body.Counts.Pending != 1 {
			t.Fatalf("counts on 404: got %+v", body.Counts)
		}
	})
}

func TestListFiltersSortPaginationAndCounts(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b, agent := e.client(t, "A"), e.client(t, "B"), e.agent(t, "Ann")
		var ids []store.ID
		for i := range 5 {
			ids = append(ids, e.createTicket(t, a, fmt.Sprint("a", i)).ID)
		}
		bt := e.createTicket(t, b, "b0")
		set := func(u user, id store.ID, body map[string]any) {
			wantStatus(t, e.req(t, "PUT", "/support-tickets/"+string(id), u.token, body), http.StatusOK, "")
		}
		set(a, ids[0], map[string]any{"status": "resolved", "category": "other"})
		set(a, ids[1], map[string]any{"status": "progress"})
		set(agent, ids[2], map[string]any{"status": "cancelled", "assignee": agent.ID})

		got := e.list(t, a, "countByStatus=true&limit=2")
		want := store.Counts{All: 5, Open: 3, Closed: 2, Pending: 2, Progress: 1, Resolved: 1, Cancelled: 1}
		if *got.Counts != want || got.Total != 5 || got.Pages != 3 || got.Limit != 2 || got.Page != 1 || len(got.Data) != 2 {
			t.Fatalf("client list: got counts %+v total %d pages %d limit %d page %d len %d", *got.Counts, got.Total, got.Pages, got.Limit, got.Page, len(got.Data))
		}
		if got.Data[0].ID != ids[4] || got.Data[1].ID != ids[3] {
			t.Fatalf("default sort should be newest first")
		}
		if got := e.list(t, a, "limit=2&page=3"); len(got.Data) != 1 || got.Data[0].ID != ids[0] {
			t.Fatalf("page 3: got %d tickets", len(got.Data))
		}
		wantStatus(t, e.req(t, "GET", "/support-tickets?page=4&limit=2", a.token, nil), http.StatusNotFound, "No support tickets found")

		// Counts ignore the status filter but honour the others.
		got = e.list(t, a, "countByStatus=1&status=pending")
		if got.Total != 2 || got.Counts.All != 5 {
			t.Fatalf("status filter: total %d counts %+v", got.Total, got.Counts)
		}
		got = e.list(t, a, "countByStatus=true&category=billing")
		if got.Total != 4 || got.Counts.All != 4 || got.Counts.Resolved != 0 {
			t.Fatalf("category filter: total %d counts %+v", got.Total, got.Counts)
		}
		if got := e.list(t, a, ""); got.Counts != nil {
			t.Fatalf("counts without countByStatus: %+v", got.Counts)
		}

		// A super admin sees everyone's, and may filter by client and assignee.
		got = e.list(t, agent, "countByStatus=true")
		if got.Total != 6 || got.Counts.All != 6 || got.Counts.Pending != 3 {
			t.Fatalf("super admin: total %d counts %+v", got.Total, got.Counts)
		}
		if got := e.list(t, agent, "client="+string(b.ID)); got.Total != 1 || got.Data[0].ID != bt.ID {
			t.Fatalf("client filter: total %d", got.Total)
		}
		got = e.list(t, agent, "assignee="+string(agent.ID)+"&countByStatus=true")
		if got.Total != 1 || got.Data[0].ID != ids[2] || got.Counts.All != 1 || got.Data[0].Assignee.Name != "Ann" {
			t.Fatalf("assignee filter: total %d counts %+v", got.Total, got.Counts)
		}

		// Sorts.
		numbers := func(l listResult) []int64 {
			var out []int64
			for _, t := range l.Data {
				out = append(out, t.Number)
			}
			return out
		}
		if got := numbers(e.list(t, a, "sort=number")); fmt.Sprint(got) != "[1001 1002 1003 1004 1005]" {
			t.Fatalf("sort=number: got %v", got)
		}
		if got := numbers(e.list(t, a, "sort=-number")); fmt.Sprint(got) != "[1005 1004 1003 1002 1001]" {
			t.Fatalf("sort=-number: got %v", got)
		}
		if got := numbers(e.list(t, a, "sort=%2BcreatedAt")); fmt.Sprint(got) != "[1001 1002 1003 1004 1005]" {
			t.Fatalf("sort=+createdAt: got %v", got)
		}
		e.reply(t, a, ids[3], "bump")
		if got := e.list(t, a, "sort=-updatedAt").Data[0].ID; got != ids[3] {
			t.Fatalf("sort=-updatedAt: first %s, want %s", got, ids[3])
		}
		if got := e.list(t, a, "sort=updatedAt&limit=100"); got.Data[len(got.Data)-1].ID != ids[3] {
			t.Fatalf("sort=updatedAt: last is not the bumped ticket")
		}
	})
}

func TestListSearch(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, agent := e.client(t, "A"), e.agent(t, "Ann")
		t1 := e.createTicket(t, a, "Invoice is wrong")
		t2 := e.createTicket(t, a, "Scanner broken")
		e.reply(t, agent, t2.ID, "Have you tried the 100% reset?")
		body := ticketBody("Other")
		body["subject"] = "Payment INVOICE"
		e.req(t, "POST", "/support-tickets/insert", a.token, body)
		cases := map[string]int{
			"invoice":           2,
			"INVOICE wrong":     1,
			"scanner 100%":      1,
			"100%":              1,
			"reset broken":      1,
			"nothing-like-this": 0,
			"x_y":               0,
			// Words under three characters filter what a longer word found.
			"wrong is":   1,
			"is invoice": 1,
			"re 100% s":  1,
			"scanner zz": 0,
		}
		for q, want := range cases {
			r := e.req(t, "GET", "/support-tickets?countByStatus=true&q="+url.QueryEscape(q), a.token, nil)
			if want == 0 {
				wantStatus(t, r, http.StatusNotFound, "No support tickets found")
				continue
			}
			if r.status != http.StatusOK {
				t.Errorf("q=%q: got %d %s", q, r.status, r.body)
				continue
			}
			var l listResult
			r.decode(t, &l)
			if l.Total != want || l.Counts.All != int64(want) {
				t.Errorf("q=%q: got total %d counts %d, want %d", q, l.Total, l.Counts.All, want)
			}
		}
		if got := e.list(t, a, "q=invoice&sort=number").Data[0].ID; got != t1.ID {
			t.Errorf("q=invoice sort=number: first %s, want %s", got, t1.ID)
		}
	})
}

func TestListUnreadAndLastEventID(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, agent := e.client(t, "A"), e.agent(t, "Ann")
		tk := e.createTicket(t, a, "hi")
		e.reply(t, agent, tk.ID, "hello")
		e.reply(t, agent, tk.ID, "anyone?")
		e.events(t)
		last, err := e.st.LastEventID(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		r := e.req(t, "GET", "/support-tickets", a.token, nil)
		if got := r.header.Get("X-Last-Event-Id"); got != strconv.FormatInt(last, 10) {
			t.Fatalf("X-Last-Event-Id: got %q, want %d", got, last)
		}
		var l listResult
		r.decode(t, &l)
		if *l.Data[0].Unread != 2 || len(l.Data[0].Threads) != 3 {
			t.Fatalf("client unread: got %d with %d threads", *l.Data[0].Unread, len(l.Data[0].Threads))
		}
		if got := *e.list(t, agent, "").Data[0].Unread; got != 1 {
			t.Fatalf("agent unread: got %d, want 1", got)
		}
		r = e.req(t, "GET", "/support-tickets/"+string(tk.ID), agent.token, nil)
		if got := r.header.Get("X-Last-Event-Id"); got != strconv.FormatInt(last, 10) {
			t.Fatalf("get X-Last-Event-Id: got %q, want %d", got, last)
		}
	})
}
