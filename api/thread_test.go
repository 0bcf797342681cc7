package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

func TestReply(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b, agent := e.client(t, "A"), e.client(t, "B"), e.agent(t, "Ann")
		tk := e.createTicket(t, a, "hi")
		e.events(t)

		th := e.reply(t, agent, tk.ID, "agent here")
		if th.SuperAdmin == nil || th.SuperAdmin.ID != agent.ID || th.Client.ID != a.ID || th.TicketID != tk.ID || th.SeenAt != nil {
			t.Fatalf("agent thread: got %+v", th)
		}
		got := e.get(t, a, tk.ID)
		if len(got.Threads) != 2 || got.Threads[1].ID != th.ID {
			t.Fatalf("after reply: got %d threads", len(got.Threads))
		}
		if got.UpdatedAt.Before(th.CreatedAt.Time) {
			t.Fatalf("updatedAt %v before the reply %v", got.UpdatedAt, th.CreatedAt)
		}
		if evs := eventTypes(e.events(t)); len(evs) != 1 || evs[0] != store.EventThreadAdded {
			t.Fatalf("events: got %v, want [thread.added]", evs)
		}

		// Another client cannot reply, nor learn the ticket exists.
		r := e.req(t, "POST", "/support-tickets/"+string(tk.ID)+"/thread", b.token, map[string]any{"message": "x"})
		wantStatus(t, r, http.StatusNotFound, "Support ticket not found")
		// 404 comes before 400.
		r = e.req(t, "POST", "/support-tickets/"+string(tk.ID)+"/thread", b.token, map[string]any{})
		wantStatus(t, r, http.StatusNotFound, "Support ticket not found")
		r = e.req(t, "POST", "/support-tickets/ffffffffffffffffffffffff/thread", a.token, `{bad`)
		wantStatus(t, r, http.StatusNotFound, "Support ticket not found")
		r = e.req(t, "POST", "/support-tickets/nope/thread", a.token, map[string]any{"message": "x"})
		wantStatus(t, r, http.StatusNotFound, "Support ticket not found")

		for body, want := range map[string]string{
			`{}`:                                "message is required",
			`{"message":" "}`:                   "message is required",
			`{"message":1}`:                     "message must be a string",
			`{"message":"a","attachments":"x"}`: "attachments must be an array",
			`{"message":"` + strings.Repeat("x", 10001) + `"}`: "message must be at most 10000 characters",
			`{"message":"a"}x`: "Malformed JSON",
		} {
			r := e.req(t, "POST", "/support-tickets/"+string(tk.ID)+"/thread", a.token, body)
			wantStatus(t, r, http.StatusBadRequest, want)
		}
		if evs := e.events(t); len(evs) != 0 {
			t.Fatalf("rejected replies recorded %v", eventTypes(evs))
		}
	})
}

func TestReplyReopens(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, agent := e.client(t, "A"), e.agent(t, "Ann")
		for _, status := range []store.Status{store.StatusResolved, store.StatusCancelled} {
			tk := e.createTicket(t, a, "hi")
			wantStatus(t, e.req(t, "PUT", "/support-tickets/"+string(tk.ID), agent.token, map[string]any{"status": status}), http.StatusOK, "")
			// A super admin's reply never changes the status.
			e.reply(t, agent, tk.ID, "closing note")
			if got := e.get(t, a, tk.ID).Status; got != status {
				t.Fatalf("after agent reply: got %s, want %s", got, status)
			}
			e.events(t)
			e.reply(t, a, tk.ID, "it broke again")
			if got := e.get(t, a, tk.ID).Status; got != store.StatusPending {
				t.Fatalf("after client reply on %s: got %s, want pending", status, got)
			}
			evs := e.events(t)
			if got := eventTypes(evs); len(got) != 3 || got[0] != store.EventThreadAdded || got[1] != store.EventTicketStatus || got[2] != store.EventCounts {
				t.Fatalf("reopen events: got %v", got)
			}
			if !strings.Contains(string(evs[1].Data), `"previousStatus":"`+string(status)+`"`) {
				t.Fatalf("status event: %s", evs[1].Data)
			}
		}
		// A reply on a pending or in-progress ticket leaves the status alone.
		tk := e.createTicket(t, a, "open")
		wantStatus(t, e.req(t, "PUT", "/support-tickets/"+string(tk.ID), agent.token, map[string]any{"status": "progress"}), http.StatusOK, "")
		e.reply(t, a, tk.ID, "more")
		if got := e.get(t, a, tk.ID).Status; got != store.StatusProgress {
			t.Fatalf("reply on progress: got %s", got)
		}
	})
}

func TestMarkSeen(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b, ann, sam := e.client(t, "A"), e.client(t, "B"), e.agent(t, "Ann"), e.agent(t, "Sam")
		tk := e.createTicket(t, a, "hi")
		own := tk.Threads[0].ID
		r1 := e.reply(t, ann, tk.ID, "one")
		r2 := e.reply(t, sam, tk.ID, "two")
		other := e.createTicket(t, b, "b's")
		e.reply(t, ann, other.ID, "for b")
		otherThread := e.get(t, ann, other.ID).Threads[1].ID
		e.events(t)

		seen := func(u user, ids ...store.ID) {
			t.Helper()
			r := e.req(t, "PUT", "/support-tickets/threads/seen", u.token, map[string]any{"threadIds": ids})
			wantStatus(t, r, http.StatusOK, "")
		}
		seen(a, own, r1.ID, otherThread)
		got := e.get(t, a, tk.ID)
		if got.Threads[0].SeenAt != nil || got.Threads[1].SeenAt == nil || got.Threads[2].SeenAt != nil || *got.Unread != 1 {
			t.Fatalf("after seen: %+v unread %d", got.Threads, *got.Unread)
		}
		if th := e.get(t, b, other.ID).Threads[1]; th.SeenAt != nil {
			t.Fatalf("another client's thread was marked seen")
		}
		evs := e.events(t)
		if len(evs) != 1 || evs[0].Type != store.EventThreadsSeen || evs[0].TicketID != tk.ID ||
			!strings.Contains(string(evs[0].Data), string(r1.ID)) || strings.Contains(string(evs[0].Data), string(own)) {
			t.Fatalf("seen events: %v %s", eventTypes(evs), evs[0].Data)
		}
		first := *got.Threads[1].SeenAt

		// Marking again changes nothing and records nothing.
		seen(a, r1.ID)
		if got := e.get(t, a, tk.ID).Threads[1].SeenAt; *got != first {
			t.Fatalf("seenAt changed: %v then %v", first, got)
		}
		if evs := e.events(t); len(evs) != 0 {
			t.Fatalf("seen twice recorded %v", eventTypes(evs))
		}
		// Seen by one agent is seen for all agents.
		seen(sam, own)
		if got := *e.get(t, ann, tk.ID).Unread; got != 0 {
			t.Fatalf("agent unread after Sam saw: got %d", got)
		}
		_ = r2

		for body, want := range map[string]string{
			`{}`:                  "threadIds is required",
			`{"threadIds":[]}`:    "threadIds is required",
			`{"threadIds":["x"]}`: "threadIds[0] must be an id",
			`{"threadIds":"x"}`:   "threadIds must be an array",
		} {
			wantStatus(t, e.req(t, "PUT", "/support-tickets/threads/seen", a.token, body), http.StatusBadRequest, want)
		}
		many := make([]string, 1001)
		for i := range many {
			many[i] = "aaaaaaaaaaaaaaaaaaaaaaaa"
		}
		wantStatus(t, e.req(t, "PUT", "/support-tickets/threads/seen", a.token, map[string]any{"threadIds": many}),
			http.StatusBadRequest, "threadIds must have at most 1000 items")
	})
}
