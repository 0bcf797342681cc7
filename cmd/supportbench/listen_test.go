package main

import "testing"

func TestCheckAgainstLog(t *testing.T) {
	// Events 11…16 after a listen began at 10: tickets ta and tb are client a's and
	// client b's; td was deleted, so its client is unknown.
	lg := &eventLog{from: 10, last: 16, byID: map[int64]logEvent{}}
	for _, ev := range []logEvent{{id: 11, ticket: "ta"}, {id: 12, ticket: "tb"}, {id: 13, ticket: "ta"}, {id: 14, ticket: "td"}, {id: 16, ticket: "tb"}} {
		lg.events = append(lg.events, ev)
		lg.byID[ev.id] = ev
	}
	owners := map[string]string{"ta": "a", "tb": "b", "td": ""}
	a := &identity{ID: "a", Role: roleClient}
	agent := &identity{ID: "x", Role: roleAdmin}
	ids := func(ns ...int64) []recv {
		out := make([]recv, len(ns))
		for i, n := range ns {
			out[i] = recv{ID: n}
		}
		return out
	}
	cases := []struct {
		name  string
		who   *identity
		hello int64
		got   []recv
		want  tally
	}{
		{"a client gets its own tickets' events", a, 10, ids(11, 13),
			tally{Sockets: 1, Expected: 2, Received: 2}},
		{"an agent gets every event", agent, 10, ids(11, 12, 13, 14, 16),
			tally{Sockets: 1, Expected: 5, Received: 5}},
		{"a socket that connected later owes only what followed its hello", a, 12, ids(13),
			tally{Sockets: 1, Expected: 1, Received: 1}},
		{"missing", agent, 10, ids(11, 13, 16),
			tally{Sockets: 1, Expected: 5, Received: 3, Missing: 2}},
		{"another client's event is a scope leak", a, 10, ids(11, 12, 13),
			tally{Sockets: 1, Expected: 2, Received: 3, Unexpected: 1}},
		{"an id in the window that the log does not hold", agent, 10, ids(11, 12, 13, 14, 15, 16),
			tally{Sockets: 1, Expected: 5, Received: 6, Unexpected: 1}},
		{"a deleted ticket's event cannot be placed: order only", a, 10, ids(11, 13, 14),
			tally{Sockets: 1, Expected: 2, Received: 3, Foreign: 1}},
		{"before hello and after the log's end: order only", a, 10, ids(9, 11, 13, 17),
			tally{Sockets: 1, Expected: 2, Received: 4, Foreign: 2}},
		{"twice and out of order", agent, 10, ids(11, 13, 12, 13, 14, 16),
			tally{Sockets: 1, Expected: 5, Received: 6, OutOfOrder: 1, Duplicated: 1}},
	}
	for _, c := range cases {
		if got := checkAgainstLog(lg, owners, c.who, c.hello, c.got); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestIdentitiesAreTheSameForTheSameRun(t *testing.T) {
	m1, err := newMinter("supportbench-secret-0123456789abcdef", 0)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := newMinter("supportbench-secret-0123456789abcdef", 0)
	a, _ := m1.identities(roleClient, "sb r1 client", 3)
	b, _ := m2.identities(roleClient, "sb r1 client", 3)
	c, _ := m2.identities(roleClient, "sb r2 client", 3)
	d, _ := m2.identities(roleAdmin, "sb r1 client", 3)
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("client %d of one run: %s and %s", i, a[i].ID, b[i].ID)
		}
		if a[i].ID == c[i].ID || a[i].ID == d[i].ID {
			t.Errorf("client %d: another run or role gave the same id %s", i, a[i].ID)
		}
		if len(a[i].ID) != 24 {
			t.Errorf("id %q: want 24 hex digits", a[i].ID)
		}
	}
	if a[0].ID == a[1].ID {
		t.Errorf("two clients of one run share id %s", a[0].ID)
	}
}
