package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

const eventWait = 5 * time.Second

// countsOf reads what the list says the caller's counts are.
func countsOf(t *testing.T, base string, p person) store.Counts {
	t.Helper()
	var out struct{ Counts store.Counts }
	call(t, base, p, "GET", "/support-tickets?countByStatus=true", nil, &out)
	return out.Counts
}

func wantCounts(t *testing.T, f frame, want store.Counts) {
	t.Helper()
	var got store.Counts
	if err := json.Unmarshal(f.Data, &got); err != nil || got != want {
		t.Fatalf("counts frame %s, want %+v", f.raw, want)
	}
}

func TestEveryEventReachesTheRightSockets(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, b := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleClient, "B")
			agent := newPerson(t, store.RoleSuperAdmin, "Ann")
			sa, sb, sagent := mustDial(t, base, a, ""), mustDial(t, base, b, ""), mustDial(t, base, agent, "")
			for _, s := range []*sock{sa, sb, sagent} {
				s.hello(t)
			}

			tk := createTicket(t, base, a, "hello")
			for _, s := range []*sock{sa, sagent} {
				got := s.events(t, 3, eventWait)
				if types(got) != "ticket.created,thread.added,counts" || got[0].TicketID != tk.ID {
					t.Fatalf("create: got %s", types(got))
				}
				var created map[string]any
				_ = json.Unmarshal(got[0].Data, &created)
				if _, ok := created["unread"]; ok || created["threads"] == nil {
					t.Fatalf("ticket.created payload: %s", got[0].Data)
				}
				who := a
				if s == sagent {
					who = agent
				}
				wantCounts(t, got[2], countsOf(t, base, who))
			}

			th := reply(t, base, agent, tk.ID, "on it")
			for _, s := range []*sock{sa, sagent} {
				got := s.events(t, 1, eventWait)
				if got[0].Type != "thread.added" || !json.Valid(got[0].Data) {
					t.Fatalf("reply: got %s", got[0].raw)
				}
			}

			sa.send(t, fmt.Sprintf(`{"type":"seen","threadIds":[%q]}`, th.ID))
			for _, s := range []*sock{sa, sagent} {
				got := s.events(t, 1, eventWait)
				var d struct {
					ThreadIDs []store.ID `json:"threadIds"`
					SeenAt    string     `json:"seenAt"`
				}
				_ = json.Unmarshal(got[0].Data, &d)
				if got[0].Type != "threads.seen" || len(d.ThreadIDs) != 1 || d.ThreadIDs[0] != th.ID || d.SeenAt == "" {
					t.Fatalf("seen: got %s", got[0].raw)
				}
			}

			if code := call(t, base, agent, "PUT", "/support-tickets/"+string(tk.ID), map[string]any{"status": "resolved"}, nil); code != 200 {
				t.Fatalf("put: %d", code)
			}
			for _, s := range []*sock{sa, sagent} {
				got := s.events(t, 3, eventWait)
				if types(got) != "ticket.updated,ticket.status,counts" {
					t.Fatalf("update: got %s", types(got))
				}
				if string(got[1].Data) != `{"status":"resolved","previousStatus":"pending"}` {
					t.Fatalf("status data %s", got[1].Data)
				}
			}
			// A client's reply reopens: thread.added, ticket.status, counts.
			reply(t, base, a, tk.ID, "still broken")
			for _, s := range []*sock{sa, sagent} {
				if got := s.events(t, 3, eventWait); types(got) != "thread.added,ticket.status,counts" {
					t.Fatalf("reopen: got %s", types(got))
				}
			}

			if code := call(t, base, a, "DELETE", "/support-tickets/"+string(tk.ID), nil, nil); code != 200 {
				t.Fatalf("delete: %d", code)
			}
			for _, s := range []*sock{sa, sagent} {
				got := s.events(t, 2, eventWait)
				if types(got) != "ticket.deleted,counts" || string(got[0].Data) != fmt.Sprintf(`{"_id":%q}`, tk.ID) {
					t.Fatalf("delete: got %s", types(got))
				}
				who := a
				if s == sagent {
					who = agent
				}
				wantCounts(t, got[1], countsOf(t, base, who))
			}
			// B saw none of it.
			sb.quiet(t)
		})
	}
}

func TestIdsIncreaseAndAgentsSeeEveryClient(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			agent := newPerson(t, store.RoleSuperAdmin, "Ann")
			s := mustDial(t, base, agent, "")
			s.hello(t)
			for i := range 5 {
				createTicket(t, base, newPerson(t, store.RoleClient, fmt.Sprint("c", i)), "x")
			}
			got := s.events(t, 15, eventWait)
			wantConsecutive(t, "agent", got)
			var last store.Counts
			_ = json.Unmarshal(got[14].Data, &last)
			if last.All != 5 || last.Pending != 5 {
				t.Fatalf("global counts after 5 creates: %+v", last)
			}
		})
	}
}

func TestResumeReplaysExactlyWhatWasMissed(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			s := mustDial(t, base, a, "")
			s.hello(t)
			tk := createTicket(t, base, a, "resume")
			last := s.events(t, 3, eventWait)[2].ID
			s.conn.CloseNow()

			for i := range 100 {
				reply(t, base, agent, tk.ID, fmt.Sprint("missed ", i))
			}
			// Writes continue while the socket resumes.
			stop := make(chan struct{})
			done := make(chan int)
			go func() {
				n := 0
				defer func() { done <- n }()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if code, _ := post(base, agent, "/support-tickets/"+string(tk.ID)+"/thread", `{"message":"live"}`); code == 201 {
						n++
					}
				}
			}()
			r := mustDial(t, base, a, "lastEventId="+last)
			r.hello(t)
			got := r.events(t, 100, 2*eventWait)
			for i, f := range got {
				var th store.Thread
				_ = json.Unmarshal(f.Data, &th)
				if f.Type != "thread.added" || th.Message != fmt.Sprint("missed ", i) {
					t.Fatalf("replay %d: got %s", i, f.raw)
				}
			}
			close(stop)
			live := <-done
			// Then every live write, in order, none twice.
			rest := r.events(t, live, 2*eventWait)
			prev, _ := strconv.ParseInt(got[99].ID, 10, 64)
			for _, f := range rest {
				id, _ := strconv.ParseInt(f.ID, 10, 64)
				if id <= prev || f.Type != "thread.added" {
					t.Fatalf("after replay: id %d after %d (%s)", id, prev, f.Type)
				}
				prev = id
			}
			r.quiet(t)
		})
	}
}

func TestResumeImpossibleSendsReset(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a := newPerson(t, store.RoleClient, "A")
			s := mustDial(t, base, a, "lastEventId=999999")
			s.hello(t)
			if f := s.next(t, eventWait, true); f.Type != "reset" || f.ID != "" {
				t.Fatalf("after hello: %s, want reset", f.raw)
			}
			if f := s.next(t, eventWait, true); f.Type != "presence" {
				t.Fatalf("after reset: %s, want presence", f.raw)
			}
			// After reset the socket is live.
			createTicket(t, base, a, "x")
			if got := s.events(t, 3, eventWait); types(got) != "ticket.created,thread.added,counts" {
				t.Fatalf("live after reset: %s", types(got))
			}
			for _, q := range []string{"lastEventId=abc", "lastEventId=-1", "lastEventId="} {
				if _, err := dial(t, base, a, q); err == nil || !strings.Contains(err.Error(), "status 400") {
					t.Errorf("%s: got %v, want 400", q, err)
				}
			}
		})
	}
}
