package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

func TestUpdate(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b, agent := e.client(t, "A"), e.client(t, "B"), e.agent(t, "Ann")
		tk := e.createTicket(t, a, "hi")
		path := "/support-tickets/" + string(tk.ID)
		e.events(t)

		r := e.req(t, "PUT", path, a.token, map[string]any{"title": "new title", "subject": "subj", "api": "v2", "category": "smartScan", "status": "progress"})
		wantStatus(t, r, http.StatusOK, "")
		if string(r.body) != "{\"status\":\"completed\"}\n" {
			t.Fatalf("body: %s", r.body)
		}
		got := e.get(t, a, tk.ID)
		if got.Title != "new title" || *got.Subject != "subj" || *got.API != "v2" || got.Category != "smartScan" || got.Status != store.StatusProgress {
			t.Fatalf("after update: %+v", got)
		}
		if got.UpdatedAt.Before(tk.UpdatedAt.Time) {
			t.Fatalf("updatedAt went back")
		}
		evs := e.events(t)
		if types := eventTypes(evs); len(types) != 3 || types[0] != store.EventTicketUpdated || types[1] != store.EventTicketStatus || types[2] != store.EventCounts {
			t.Fatalf("events: got %v", types)
		}
		if strings.Contains(string(evs[0].Data), `"threads"`) || strings.Contains(string(evs[0].Data), `"unread"`) {
			t.Fatalf("ticket.updated carries threads or unread: %s", evs[0].Data)
		}

		// Nulls clear the nullable fields; the super admin sets assignee and issueUrl.
		wantStatus(t, e.req(t, "PUT", path, agent.token, map[string]any{"assignee": agent.ID, "issueUrl": "https://github.com/o/r/issues/1"}), http.StatusOK, "")
		got = e.get(t, a, tk.ID)
		if got.Assignee == nil || *got.Assignee != (store.Person{ID: agent.ID, Name: "Ann"}) || *got.IssueURL != "https://github.com/o/r/issues/1" {
			t.Fatalf("assignee/issueUrl: %+v %v", got.Assignee, got.IssueURL)
		}
		wantStatus(t, e.req(t, "PUT", path, agent.token, map[string]any{"subject": nil, "api": nil, "assignee": nil, "issueUrl": nil}), http.StatusOK, "")
		got = e.get(t, a, tk.ID)
		if got.Subject != nil || got.API != nil || got.Assignee != nil || got.IssueURL != nil {
			t.Fatalf("nulls not applied: %+v", got)
		}
		e.events(t)

		// Order of checks: 404 before 403 before 400.
		other := "/support-tickets/" + string(e.createTicket(t, b, "b").ID)
		e.events(t)
		wantStatus(t, e.req(t, "PUT", other, a.token, map[string]any{"assignee": agent.ID}), http.StatusNotFound, "Support ticket not found")
		wantStatus(t, e.req(t, "PUT", other, a.token, `{bad`), http.StatusNotFound, "Support ticket not found")
		wantStatus(t, e.req(t, "PUT", "/support-tickets/nope", a.token, map[string]any{"title": "x"}), http.StatusNotFound, "")
		wantStatus(t, e.req(t, "PUT", path, a.token, map[string]any{"assignee": agent.ID}), http.StatusForbidden, "")
		wantStatus(t, e.req(t, "PUT", path, a.token, map[string]any{"issueUrl": nil, "status": "bogus"}), http.StatusForbidden, "")

		cases := map[string]string{
			`{}`:                "nothing to update",
			`{"unknown":1}`:     "nothing to update",
			`{"title":null}`:    "title is required",
			`{"title":""}`:      "title is required",
			`{"status":"open"}`: "status must be one of pending, progress, resolved, cancelled",
			`{"category":1}`:    "category must be a string",
			`{"subject":"` + strings.Repeat("x", 201) + `"}`: "subject must be at most 200 characters",
			`{"api":"` + strings.Repeat("x", 101) + `"}`:     "api must be at most 100 characters",
			`{"title":"a"} 1`: "Malformed JSON",
		}
		for body, want := range cases {
			wantStatus(t, e.req(t, "PUT", path, a.token, body), http.StatusBadRequest, want)
		}
		agentCases := map[string]string{
			`{"assignee":"nope"}`:                     "assignee must be an id",
			`{"assignee":"ffffffffffffffffffffffff"}`: "assignee is not known",
			`{"assignee":"` + string(a.ID) + `"}`:     "assignee is not known",
			`{"issueUrl":"ftp://x"}`:                  "issueUrl must be an http or https URL",
		}
		for body, want := range agentCases {
			wantStatus(t, e.req(t, "PUT", path, agent.token, body), http.StatusBadRequest, want)
		}
		if evs := e.events(t); len(evs) != 0 {
			t.Fatalf("rejected updates recorded %v", eventTypes(evs))
		}
		if got := e.get(t, a, tk.ID); got.Title != "new title" {
			t.Fatalf("a rejected update changed the ticket: %+v", got)
		}
	})
}

func TestDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b, agent := e.client(t, "A"), e.client(t, "B"), e.agent(t, "Ann")
		tk := e.createTicket(t, a, "hi")
		th := e.reply(t, agent, tk.ID, "x")
		e.events(t)
		wantStatus(t, e.req(t, "DELETE", "/support-tickets/"+string(tk.ID), b.token, nil), http.StatusNotFound, "Support ticket not found")
		wantStatus(t, e.req(t, "DELETE", "/support-tickets/nope", a.token, nil), http.StatusNotFound, "")
		r := e.req(t, "DELETE", "/support-tickets/"+string(tk.ID), a.token, nil)
		wantStatus(t, r, http.StatusOK, "")
		wantStatus(t, e.req(t, "GET", "/support-tickets/"+string(tk.ID), agent.token, nil), http.StatusNotFound, "")
		wantStatus(t, e.req(t, "DELETE", "/support-tickets/"+string(tk.ID), a.token, nil), http.StatusNotFound, "")
		// Its threads went with it: marking one seen changes nothing.
		wantStatus(t, e.req(t, "PUT", "/support-tickets/threads/seen", a.token, map[string]any{"threadIds": []store.ID{th.ID}}), http.StatusOK, "")
		if types := eventTypes(e.events(t)); len(types) != 2 || types[0] != store.EventTicketDeleted || types[1] != store.EventCounts {
			t.Fatalf("events: got %v", types)
		}
	})
}

func TestBulkDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b, agent := e.client(t, "A"), e.client(t, "B"), e.agent(t, "Ann")
		a1, a2 := e.createTicket(t, a, "a1"), e.createTicket(t, a, "a2")
		b1 := e.createTicket(t, b, "b1")
		e.events(t)
		r := e.req(t, "POST", "/support-tickets/bulk", a.token, map[string]any{"ids": []store.ID{a1.ID, b1.ID, "ffffffffffffffffffffffff"}})
		wantStatus(t, r, http.StatusOK, "")
		if string(r.body) != "{\"status\":\"completed\",\"deleted\":1}\n" {
			t.Fatalf("body: %s", r.body)
		}
		e.get(t, b, b1.ID)
		r = e.req(t, "POST", "/support-tickets/bulk", agent.token, map[string]any{"ids": []store.ID{a2.ID, b1.ID}})
		if !strings.Contains(string(r.body), `"deleted":2`) {
			t.Fatalf("agent bulk: %s", r.body)
		}
		evs := e.events(t)
		if types := eventTypes(evs); len(types) != 6 {
			t.Fatalf("events: got %v", types)
		}
		many := make([]string, 1001)
		for i := range many {
			many[i] = "aaaaaaaaaaaaaaaaaaaaaaaa"
		}
		for body, want := range map[string]string{
			`{}`:           "ids is required",
			`{"ids":[]}`:   "ids is required",
			`{"ids":[1]}`:  "ids[0] must be an id",
			`{"ids":null}`: "ids is required",
		} {
			wantStatus(t, e.req(t, "POST", "/support-tickets/bulk", a.token, body), http.StatusBadRequest, want)
		}
		wantStatus(t, e.req(t, "POST", "/support-tickets/bulk", a.token, map[string]any{"ids": many}), http.StatusBadRequest, "ids must have at most 1000 items")
	})
}
