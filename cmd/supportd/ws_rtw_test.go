package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

// wsWrite sends a REST write and returns its status and X-Last-Event-Id, which a
// successful write must carry.
func wsWrite(t *testing.T, base string, p person, method, path string, body any) (int, int64) {
	t.Helper()
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, base+path, strings.NewReader(string(j)))
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	res.Body.Close()
	h := res.Header.Get("X-Last-Event-Id")
	last, err := strconv.ParseInt(h, 10, 64)
	if res.StatusCode/100 == 2 && err != nil {
		t.Fatalf("%s %s: %d with X-Last-Event-Id %q, want a decimal id", method, path, res.StatusCode, h)
	}
	return res.StatusCode, last
}

// wsAfterMarker creates a marker ticket and returns the events watch gets before the
// marker's ticket.created: everything still on its way to watch.
func wsAfterMarker(t *testing.T, base string, marker person, watch *sock) (before []frame, markerID store.ID) {
	t.Helper()
	tk := createTicket(t, base, marker, "marker")
	for {
		f := watch.events(t, 1, eventWait)[0]
		if f.Type == "ticket.created" && f.TicketID == tk.ID {
			return before, tk.ID
		}
		before = append(before, f)
	}
}

// A socket opened after a write's answer never gets that write's events, on the
// instance that took the write or another; and the answer's X-Last-Event-Id is at
// least the id of each of them.
func TestWSSocketOpenedAfterAWriteNeverGetsItsEvents(t *testing.T) {
	writes := []struct {
		name  string
		write func(t *testing.T, base string, a, agent person, tk store.Ticket) (int, int64)
	}{
		{"insert", func(t *testing.T, base string, a, _ person, _ store.Ticket) (int, int64) {
			body := map[string]any{"title": "new", "category": "billing", "threads": []any{map[string]any{"message": "hi"}}}
			return wsWrite(t, base, a, "POST", "/support-tickets/insert", body)
		}},
		{"reply", func(t *testing.T, base string, _, agent person, tk store.Ticket) (int, int64) {
			return wsWrite(t, base, agent, "POST", "/support-tickets/"+string(tk.ID)+"/thread", map[string]any{"message": "on it"})
		}},
		{"PUT", func(t *testing.T, base string, _, agent person, tk store.Ticket) (int, int64) {
			return wsWrite(t, base, agent, "PUT", "/support-tickets/"+string(tk.ID), map[string]any{"status": "resolved"})
		}},
		{"seen", func(t *testing.T, base string, _, agent person, tk store.Ticket) (int, int64) {
			return wsWrite(t, base, agent, "PUT", "/support-tickets/threads/seen", map[string]any{"threadIds": []store.ID{tk.Threads[0].ID}})
		}},
		{"delete", func(t *testing.T, base string, _, agent person, tk store.Ticket) (int, int64) {
			return wsWrite(t, base, agent, "DELETE", "/support-tickets/"+string(tk.ID), nil)
		}},
	}
	setups := map[string]func(t *testing.T) (writeOn, connectOn string){
		"one instance": func(t *testing.T) (string, string) {
			base, _ := startServe(t, backends(t)["dev"](t))
			return base, base
		},
		"two instances": func(t *testing.T) (string, string) {
			env := backends(t)["postgres+redis"](t)
			a, _ := startServe(t, env)
			b, _ := startServe(t, env)
			return a, b
		},
	}
	for setup, start := range setups {
		t.Run(setup, func(t *testing.T) {
			writeOn, connectOn := start(t)
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			marker := newPerson(t, store.RoleClient, "M")
			watch := wsLive(t, writeOn, agent)
			for _, w := range writes {
				t.Run(w.name, func(t *testing.T) {
					tk := createTicket(t, writeOn, a, "ticket for "+w.name)
					wsAfterMarker(t, writeOn, marker, watch)

					code, last := w.write(t, writeOn, a, agent, tk)
					if code/100 != 2 {
						t.Fatalf("%s: status %d", w.name, code)
					}
					s := mustDial(t, connectOn, agent, "")
					if hello, _ := strconv.ParseInt(s.hello(t), 10, 64); hello < last {
						t.Fatalf("hello.lastEventId %d after a write that answered %d", hello, last)
					}
					evs, markerID := wsAfterMarker(t, writeOn, marker, watch)
					if len(evs) == 0 {
						t.Fatalf("%s: the watching socket got no event of the write", w.name)
					}
					for _, f := range evs {
						if id, _ := strconv.ParseInt(f.ID, 10, 64); id > last {
							t.Fatalf("%s answered X-Last-Event-Id %d, below its event %s", w.name, last, f.raw)
						}
					}
					if f := s.events(t, 1, eventWait)[0]; f.Type != "ticket.created" || f.TicketID != markerID {
						t.Fatalf("socket opened after the %s answered: got %s first, want the marker's ticket.created", w.name, f.raw)
					}
				})
			}
		})
	}
}

// A write that changes nothing (seen twice) answers the newest id.
func TestWSWriteWithoutEventsAnswersTheNewestID(t *testing.T) {
	base, _ := startServe(t, backends(t)["dev"](t))
	a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
	tk := createTicket(t, base, a, "seen twice")
	body := map[string]any{"threadIds": []store.ID{tk.Threads[0].ID}}
	_, first := wsWrite(t, base, agent, "PUT", "/support-tickets/threads/seen", body)
	_, again := wsWrite(t, base, agent, "PUT", "/support-tickets/threads/seen", body)
	hello, _ := strconv.ParseInt(mustDial(t, base, agent, "").hello(t), 10, 64)
	if again != first || again != hello {
		t.Fatalf("seen twice: got X-Last-Event-Id %d then %d, want both %d (the newest id)", first, again, hello)
	}
}
