package main

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

// wsPresenceWait bounds how long a presence change takes to reach a socket.
const wsPresenceWait = 5 * time.Second

func wsPersonOf(p person) store.Person { return store.Person{ID: p.ID, Name: p.Name} }

// wsOnlineUntil reads an agent socket's presence frames until one lists exactly want
// (in id order), failing when none does within wsPresenceWait.
func wsOnlineUntil(t *testing.T, s *sock, what string, want ...store.Person) {
	t.Helper()
	slices.SortFunc(want, func(a, b store.Person) int { return cmp.Compare(a.ID, b.ID) })
	if want == nil {
		want = []store.Person{}
	}
	deadline := time.Now().Add(wsPresenceWait)
	var got []store.Person
	for time.Now().Before(deadline) {
		if got = wsOnlineList(t, s, time.Until(deadline)); slices.Equal(got, want) {
			return
		}
	}
	t.Fatalf("%s: got online %v, want %v", what, got, want)
}

// wsAgentsUntil reads a client socket's presence frames until one says n agents.
func wsAgentsUntil(t *testing.T, s *sock, what string, n int) {
	t.Helper()
	deadline := time.Now().Add(wsPresenceWait)
	got := -1
	for time.Now().Before(deadline) {
		if got = wsAgentsOnline(t, s, time.Until(deadline)); got == n {
			return
		}
	}
	t.Fatalf("%s: got agentsOnline %d, want %d", what, got, n)
}

func TestWSPresenceComesRightAfterHello(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")

			sa := mustDial(t, base, a, "")
			sa.hello(t)
			if n := wsAgentsOnline(t, sa, eventWait); n != 0 {
				t.Fatalf("client's first presence: got agentsOnline %d, want 0", n)
			}
			wsStillOpen(t, sa, "client")

			sagent := mustDial(t, base, agent, "")
			sagent.hello(t)
			wsOnlineList(t, sagent, eventWait) // the second frame is presence, whatever it lists
			wsOnlineUntil(t, sagent, "the agent's own socket", wsPersonOf(agent))
			wsAgentsUntil(t, sa, "client once an agent connected", 1)

			// A socket opened now sees the agent in its very first presence frame.
			sa2 := mustDial(t, base, a, "")
			sa2.hello(t)
			if n := wsAgentsOnline(t, sa2, eventWait); n != 1 {
				t.Fatalf("new client socket's first presence: got agentsOnline %d, want 1", n)
			}
			agent2 := newPerson(t, store.RoleSuperAdmin, "Bob")
			s2 := mustDial(t, base, agent2, "")
			s2.hello(t)
			if got := wsOnlineList(t, s2, eventWait); !slices.Equal(got, []store.Person{wsPersonOf(agent)}) {
				t.Fatalf("second agent's first presence: got %v, want [%v]", got, wsPersonOf(agent))
			}
			// A resumed socket gets presence after hello and before the replay.
			r := mustDial(t, base, a, "lastEventId=0")
			r.hello(t)
			if f := r.next(t, eventWait, true); f.Type != "presence" {
				t.Fatalf("resumed socket after hello: got %s, want presence", f.raw)
			}
		})
	}
}

func TestWSPresenceFollowsAgentsComingAndGoing(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a := newPerson(t, store.RoleClient, "A")
			ann, bob := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleSuperAdmin, "Bob")
			sa := mustDial(t, base, a, "")
			sa.hello(t)
			wsAgentsUntil(t, sa, "no agent yet", 0)

			ann1 := mustDial(t, base, ann, "")
			ann1.hello(t)
			wsAgentsUntil(t, sa, "Ann connected", 1)
			wsOnlineUntil(t, ann1, "Ann sees herself", wsPersonOf(ann))

			// A second socket of the same agent changes nothing.
			ann2 := wsLive(t, base, ann)
			wsNoPresenceFor(t, sa, 300*time.Millisecond)

			bob1 := mustDial(t, base, bob, "")
			bob1.hello(t)
			wsAgentsUntil(t, sa, "Bob connected", 2)
			wsOnlineUntil(t, ann1, "Ann sees Bob", wsPersonOf(ann), wsPersonOf(bob))
			wsOnlineUntil(t, bob1, "Bob sees both", wsPersonOf(ann), wsPersonOf(bob))

			// Ann's first socket closes: she still has one, nothing changes.
			ann1.conn.Close(websocket.StatusNormalClosure, "bye")
			wsNoPresenceFor(t, sa, 300*time.Millisecond)
			// Her last one closes: she is gone.
			ann2.conn.Close(websocket.StatusNormalClosure, "bye")
			wsAgentsUntil(t, sa, "Ann's last socket closed", 1)
			wsOnlineUntil(t, bob1, "Bob after Ann left", wsPersonOf(bob))
			// A socket that drops without a close handshake counts too.
			bob1.conn.CloseNow()
			wsAgentsUntil(t, sa, "Bob's socket dropped", 0)
		})
	}
}

func TestWSPresenceCrossesInstances(t *testing.T) {
	env := backends(t)["postgres+redis"](t)
	base1, _ := startServe(t, env)
	base2, _ := startServe(t, env)
	a := newPerson(t, store.RoleClient, "A")
	ann, bob := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleSuperAdmin, "Bob")

	sa := mustDial(t, base1, a, "")
	sa.hello(t)
	wsAgentsUntil(t, sa, "no agent yet", 0)
	ann1 := mustDial(t, base1, ann, "")
	ann1.hello(t)
	wsAgentsUntil(t, sa, "Ann on instance 1", 1)

	bob2 := mustDial(t, base2, bob, "")
	bob2.hello(t)
	wsAgentsUntil(t, sa, "client on instance 1, Bob on instance 2", 2)
	wsOnlineUntil(t, ann1, "Ann on instance 1 sees Bob on instance 2", wsPersonOf(ann), wsPersonOf(bob))
	wsOnlineUntil(t, bob2, "Bob on instance 2 sees Ann on instance 1", wsPersonOf(ann), wsPersonOf(bob))

	// Ann on both instances is one agent; she leaves when her last socket does.
	ann2 := wsLive(t, base2, ann)
	wsNoPresenceFor(t, sa, 300*time.Millisecond)
	ann1.conn.Close(websocket.StatusNormalClosure, "bye")
	wsNoPresenceFor(t, sa, 300*time.Millisecond)
	ann2.conn.Close(websocket.StatusNormalClosure, "bye")
	wsAgentsUntil(t, sa, "Ann gone from both instances", 1)
	bob2.conn.Close(websocket.StatusNormalClosure, "bye")
	wsAgentsUntil(t, sa, "Bob gone from instance 2", 0)
}
