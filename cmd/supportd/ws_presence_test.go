package main

import (
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

// wsPresenceWait bounds how long a presence change takes to reach a socket.
const wsPresenceWait = 5 * time.Second

func wsPersonOf(p person) store.Person { return store.Person{ID: p.ID, Name: p.Name} }

func wsSortPeople(ps []store.Person) []store.Person {
	slices.SortFunc(ps, func(a, b store.Person) int { return cmp.Compare(a.ID, b.ID) })
	if ps == nil {
		ps = []store.Person{}
	}
	return ps
}

// wsPresenceChange is the data of a presence.changed frame.
type wsPresenceChange struct {
	Joined *[]store.Person `json:"joined"`
	Left   *[]store.Person `json:"left"`
}

// wsNextChange reads an agent socket's presence.changed frames, applying them to
// s.online, and returns the first that changes it: a batch of changes may repeat
// what the socket's snapshot, taken within that batch, already showed.
func wsNextChange(t *testing.T, s *sock, wait time.Duration) (joined, left []store.Person) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		before := maps.Clone(s.online)
		f := s.next(t, time.Until(deadline), true)
		if f.Type != "presence.changed" || f.ID != "" {
			t.Fatalf("got %s, want presence.changed without id", f.raw)
		}
		wsApplyPresence(t, s, f)
		if maps.Equal(before, s.online) {
			continue
		}
		var c wsPresenceChange
		_ = json.Unmarshal(f.Data, &c)
		return wsSortPeople(*c.Joined), wsSortPeople(*c.Left)
	}
}

// wsApplyPresence applies an agent socket's presence frame to s.online: a
// snapshot replaces it, a change adds and removes.
func wsApplyPresence(t *testing.T, s *sock, f frame) {
	t.Helper()
	switch f.Type {
	case "presence":
		var p wsPresence
		if err := json.Unmarshal(f.Data, &p); err != nil || p.Online == nil || p.AgentsOnline != nil {
			t.Fatalf("agent's presence snapshot: got %s, want {online}", f.raw)
		}
		s.online = map[store.ID]store.Person{}
		for _, x := range *p.Online {
			s.online[x.ID] = x
		}
	case "presence.changed":
		var c wsPresenceChange
		if err := json.Unmarshal(f.Data, &c); err != nil || c.Joined == nil || c.Left == nil || s.online == nil {
			t.Fatalf("presence.changed: got %s, want {joined, left} after a snapshot", f.raw)
		}
		for _, x := range *c.Joined {
			s.online[x.ID] = x
		}
		for _, x := range *c.Left {
			delete(s.online, x.ID)
		}
	default:
		t.Fatalf("got %s, want a presence frame", f.raw)
	}
}

// wsOnlineUntil reads an agent socket's presence frames until its view (snapshot
// plus changes) is exactly want, failing when it is not within wsPresenceWait.
func wsOnlineUntil(t *testing.T, s *sock, what string, want ...store.Person) {
	t.Helper()
	want = wsSortPeople(want)
	deadline := time.Now().Add(wsPresenceWait)
	for {
		got := wsSortPeople(slices.Collect(maps.Values(s.online)))
		if s.online != nil && slices.Equal(got, want) {
			return
		}
		select {
		case f, ok := <-s.frames:
			if !ok {
				t.Fatalf("%s: socket closed: %v", what, <-s.closed)
			}
			wsApplyPresence(t, s, f)
		case <-time.After(time.Until(deadline)):
			t.Fatalf("%s: got online %v, want %v", what, got, want)
		}
	}
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

// The snapshot right after hello already counts the socket that connects.
func TestWSPresenceSnapshotCountsTheNewSocket(t *testing.T) {
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
			if got := wsOnlineList(t, sagent, eventWait); !slices.Equal(got, []store.Person{wsPersonOf(agent)}) {
				t.Fatalf("agent's first presence: got %v, want only herself", got)
			}
			wsAgentsUntil(t, sa, "client once an agent connected", 1)

			// A client socket opened right after the agent's counts her at once.
			sa2 := mustDial(t, base, a, "")
			sa2.hello(t)
			if n := wsAgentsOnline(t, sa2, eventWait); n != 1 {
				t.Fatalf("new client socket's first presence: got agentsOnline %d, want 1", n)
			}
			agent2 := newPerson(t, store.RoleSuperAdmin, "Bob")
			s2 := mustDial(t, base, agent2, "")
			s2.hello(t)
			want := wsSortPeople([]store.Person{wsPersonOf(agent), wsPersonOf(agent2)})
			if got := wsSortPeople(wsOnlineList(t, s2, eventWait)); !slices.Equal(got, want) {
				t.Fatalf("second agent's first presence: got %v, want %v", got, want)
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

			// Bob's arrival is a change that names Bob only, not everyone online.
			bob1 := mustDial(t, base, bob, "")
			bob1.hello(t)
			wsAgentsUntil(t, sa, "Bob connected", 2)
			if joined, left := wsNextChange(t, ann1, wsPresenceWait); !slices.Equal(joined, []store.Person{wsPersonOf(bob)}) || len(left) != 0 {
				t.Fatalf("Ann told of Bob: got joined %v left %v, want joined [Bob]", joined, left)
			}
			wsOnlineUntil(t, ann1, "Ann sees Bob", wsPersonOf(ann), wsPersonOf(bob))
			wsOnlineUntil(t, bob1, "Bob sees both", wsPersonOf(ann), wsPersonOf(bob))

			// Ann's first socket closes: she still has one, nothing changes.
			ann1.conn.Close(websocket.StatusNormalClosure, "bye")
			wsNoPresenceFor(t, sa, 300*time.Millisecond)
			// Her last one closes: she is gone.
			ann2.conn.Close(websocket.StatusNormalClosure, "bye")
			wsAgentsUntil(t, sa, "Ann's last socket closed", 1)
			if joined, left := wsNextChange(t, bob1, wsPresenceWait); len(joined) != 0 || !slices.Equal(left, []store.Person{wsPersonOf(ann)}) {
				t.Fatalf("Bob told Ann left: got joined %v left %v, want left [Ann]", joined, left)
			}
			wsOnlineUntil(t, bob1, "Bob after Ann left", wsPersonOf(bob))
			// A socket that drops without a close handshake counts too.
			bob1.conn.CloseNow()
			wsAgentsUntil(t, sa, "Bob's socket dropped", 0)
		})
	}
}

// Joins and leaves on one instance reach the agents of another as changes.
func TestWSPresenceChangesCrossInstances(t *testing.T) {
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
	wsOnlineUntil(t, ann1, "Ann on instance 1", wsPersonOf(ann))
	wsAgentsUntil(t, sa, "Ann on instance 1", 1)

	bob2 := mustDial(t, base2, bob, "")
	bob2.hello(t)
	wsAgentsUntil(t, sa, "client on instance 1, Bob on instance 2", 2)
	wsOnlineUntil(t, bob2, "Bob on instance 2 sees Ann on instance 1", wsPersonOf(ann), wsPersonOf(bob))
	if joined, left := wsNextChange(t, ann1, wsPresenceWait); !slices.Equal(joined, []store.Person{wsPersonOf(bob)}) || len(left) != 0 {
		t.Fatalf("Ann on 1 told of Bob on 2: got joined %v left %v, want joined [Bob]", joined, left)
	}

	// Ann on both instances is one agent; she leaves when her last socket does.
	ann2 := wsLive(t, base2, ann)
	wsNoPresenceFor(t, sa, 300*time.Millisecond)
	ann1.conn.Close(websocket.StatusNormalClosure, "bye")
	wsNoPresenceFor(t, sa, 300*time.Millisecond)
	ann2.conn.Close(websocket.StatusNormalClosure, "bye")
	wsAgentsUntil(t, sa, "Ann gone from both instances", 1)
	if joined, left := wsNextChange(t, bob2, wsPresenceWait); len(joined) != 0 || !slices.Equal(left, []store.Person{wsPersonOf(ann)}) {
		t.Fatalf("Bob on 2 told Ann left: got joined %v left %v, want left [Ann]", joined, left)
	}

	// Bob on 2 leaves: an agent on 1 is told.
	cy := newPerson(t, store.RoleSuperAdmin, "Cy")
	cy1 := mustDial(t, base1, cy, "")
	cy1.hello(t)
	wsAgentsUntil(t, sa, "Cy on instance 1", 2)
	bob2.conn.Close(websocket.StatusNormalClosure, "bye")
	wsAgentsUntil(t, sa, "Bob gone from instance 2", 1)
	wsOnlineUntil(t, cy1, "Cy on 1 after Bob left 2", wsPersonOf(cy))
}
