package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// wsWantTyping reads the next frame that is not presence and checks it is the typing
// of who (in role) for ticket: no id, {user, role} as data.
func wsWantTyping(t *testing.T, s *sock, what string, ticket store.ID, who person) {
	t.Helper()
	f := s.next(t, eventWait)
	var d struct {
		User store.Person `json:"user"`
		Role store.Role   `json:"role"`
	}
	_ = json.Unmarshal(f.Data, &d)
	want := store.Person{ID: who.ID, Name: who.Name}
	if f.Type != "typing" || f.ID != "" || f.TicketID != ticket || d.User != want || d.Role != who.Role {
		t.Fatalf("%s: got %s, want typing for %s by %+v (%s) without id", what, f.raw, ticket, want, who.Role)
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(f.Data, &raw)
	if len(raw) != 2 {
		t.Fatalf("%s: got typing data %s, want only user and role", what, f.Data)
	}
}

func wsTyping(t *testing.T, s *sock, ticket store.ID) {
	t.Helper()
	s.send(t, fmt.Sprintf(`{"type":"typing","ticketId":%q}`, ticket))
}

// wsSettle waits until the socket's earlier messages were handled: its reader handles
// messages in order, so a pong means every typing before it was published.
func wsSettle(t *testing.T, s *sock) { t.Helper(); wsStillOpen(t, s, "settle") }

func TestWSTypingReachesTheOtherSideOnly(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, b := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleClient, "B")
			agent, agent2 := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleSuperAdmin, "Bob")
			a1, a2, sb := wsLive(t, base, a), wsLive(t, base, a), wsLive(t, base, b)
			sagent, sagent2 := wsLive(t, base, agent), wsLive(t, base, agent2)
			tk := wsTicketSeen(t, base, a, "typing", a1, a2, sagent, sagent2)

			wsTyping(t, a1, tk.ID)
			wsWantTyping(t, sagent, "agent, A typing", tk.ID, a)
			wsWantTyping(t, sagent2, "second agent, A typing", tk.ID, a)
			wsSettle(t, a1)
			// Never back to the sender's sockets, never to another client.
			a1.quiet(t)
			a2.quiet(t)
			sb.quiet(t)

			wsTyping(t, sagent, tk.ID)
			wsWantTyping(t, a1, "A's first socket, agent typing", tk.ID, agent)
			wsWantTyping(t, a2, "A's second socket, agent typing", tk.ID, agent)
			wsWantTyping(t, sagent2, "other agent, agent typing", tk.ID, agent)
			wsSettle(t, sagent)
			sagent.quiet(t)
			sb.quiet(t)
		})
	}
}

func TestWSTypingForAnotherClientsTicketIsNotFound(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, b := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleClient, "B")
			agent := newPerson(t, store.RoleSuperAdmin, "Ann")
			sa, sb, sagent := wsLive(t, base, a), wsLive(t, base, b), wsLive(t, base, agent)
			tkA := wsTicketSeen(t, base, a, "A's", sa, sagent)
			// B types on A's ticket, and on one that does not exist: 404 alike.
			wsTyping(t, sb, tkA.ID)
			wsWantError(t, sb, "typing on another client's ticket", "NotFound")
			wsTyping(t, sb, ids.New(time.Now()))
			wsWantError(t, sb, "typing on a ticket that does not exist", "NotFound")
			wsStillOpen(t, sb, "after NotFound")
			// Nobody got it.
			sa.quiet(t)
			sagent.quiet(t)
			sb.quiet(t)
			// A deleted ticket is not found either, even for its client.
			if code := call(t, base, a, "DELETE", "/support-tickets/"+string(tkA.ID), nil, nil); code != 200 {
				t.Fatalf("delete: got %d, want 200", code)
			}
			sa.events(t, 2, eventWait)
			sagent.events(t, 2, eventWait)
			wsTyping(t, sa, tkA.ID)
			wsWantError(t, sa, "typing on a deleted ticket", "NotFound")
			sagent.quiet(t)
		})
	}
}

func TestWSTypingIsThrottledPerTicket(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			sa, sagent := wsLive(t, base, a), wsLive(t, base, agent)
			t1 := wsTicketSeen(t, base, a, "one", sa, sagent)
			t2 := wsTicketSeen(t, base, a, "two", sa, sagent)

			first := time.Now()
			wsTyping(t, sa, t1.ID)
			wsTyping(t, sa, t1.ID) // within 2 s: dropped
			wsTyping(t, sa, t1.ID) // likewise
			wsTyping(t, sa, t2.ID) // another ticket: relayed
			wsSettle(t, sa)
			// Relays from one socket arrive in order: the duplicates would sit
			// between these two.
			wsWantTyping(t, sagent, "first typing on t1", t1.ID, a)
			wsWantTyping(t, sagent, "typing on t2 (after the dropped t1 ones)", t2.ID, a)
			sagent.quiet(t)

			// Another socket of the same caller has its own throttle.
			sa2 := wsLive(t, base, a)
			wsTyping(t, sa2, t1.ID)
			wsWantTyping(t, sagent, "t1 from A's second socket", t1.ID, a)

			// 2 s after the first, t1 is relayed again.
			time.Sleep(time.Until(first.Add(2*time.Second + 50*time.Millisecond)))
			wsTyping(t, sa, t1.ID)
			wsWantTyping(t, sagent, "t1 again after 2 s", t1.ID, a)
			wsSettle(t, sa)
			sagent.quiet(t)
		})
	}
}

func TestWSTypingCrossesInstances(t *testing.T) {
	env := backends(t)["postgres+redis"](t)
	base1, _ := startServe(t, env)
	base2, _ := startServe(t, env)
	a, b := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleClient, "B")
	agent := newPerson(t, store.RoleSuperAdmin, "Ann")
	sa, sa2 := wsLive(t, base1, a), wsLive(t, base2, a)
	sb2, sagent2 := wsLive(t, base2, b), wsLive(t, base2, agent)
	tk := wsTicketSeen(t, base1, a, "across", sa, sa2, sagent2)

	wsTyping(t, sa, tk.ID)
	wsWantTyping(t, sagent2, "agent on instance 2, A typing on instance 1", tk.ID, a)
	wsSettle(t, sa)
	sa2.quiet(t) // A's socket on the other instance is still the sender's
	sb2.quiet(t)

	wsTyping(t, sagent2, tk.ID)
	wsWantTyping(t, sa, "A on instance 1, agent typing on instance 2", tk.ID, agent)
	wsWantTyping(t, sa2, "A on instance 2, agent typing on instance 2", tk.ID, agent)
	wsSettle(t, sagent2)
	sagent2.quiet(t)
	sb2.quiet(t)
}
