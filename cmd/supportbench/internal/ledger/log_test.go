package ledger

import "testing"

func TestCheckAgainstLog(t *testing.T) {
	// Events 11…16 after a listen began at 10: tickets ta and tb are client a's and
	// client b's; td was deleted, so its client is unknown.
	lg := &Log{From: 10, Last: 16, ByID: map[int64]Event{}}
	for _, ev := range []Event{{ID: 11, Ticket: "ta"}, {ID: 12, Ticket: "tb"}, {ID: 13, Ticket: "ta"}, {ID: 14, Ticket: "td"}, {ID: 16, Ticket: "tb"}} {
		lg.Events = append(lg.Events, ev)
		lg.ByID[ev.ID] = ev
	}
	owners := map[string]string{"ta": "a", "tb": "b", "td": ""}
	a := Scope{Client: "a"}
	agent := Scope{Admin: true}
	ids := func(ns ...int64) []Recv {
		out := make([]Recv, len(ns))
		for i, n := range ns {
			out[i] = Recv{ID: n}
		}
		return out
	}
	cases := []struct {
		name  string
		who   Scope
		hello int64
		got   []Recv
		want  Tally
	}{
		{"a client gets its own tickets' events", a, 10, ids(11, 13),
			Tally{Sockets: 1, Expected: 2, Received: 2}},
		{"an agent gets every event", agent, 10, ids(11, 12, 13, 14, 16),
			Tally{Sockets: 1, Expected: 5, Received: 5}},
		{"a socket that connected later owes only what followed its hello", a, 12, ids(13),
			Tally{Sockets: 1, Expected: 1, Received: 1}},
		{"missing", agent, 10, ids(11, 13, 16),
			Tally{Sockets: 1, Expected: 5, Received: 3, Missing: 2}},
		{"another client's event is a scope leak", a, 10, ids(11, 12, 13),
			Tally{Sockets: 1, Expected: 2, Received: 3, Unexpected: 1}},
		{"an id in the window that the log does not hold", agent, 10, ids(11, 12, 13, 14, 15, 16),
			Tally{Sockets: 1, Expected: 5, Received: 6, Unexpected: 1}},
		{"a deleted ticket's event cannot be placed: order only", a, 10, ids(11, 13, 14),
			Tally{Sockets: 1, Expected: 2, Received: 3, Foreign: 1}},
		{"before hello and after the log's end: order only", a, 10, ids(9, 11, 13, 17),
			Tally{Sockets: 1, Expected: 2, Received: 4, Foreign: 2}},
		{"twice and out of order", agent, 10, ids(11, 13, 12, 13, 14, 16),
			Tally{Sockets: 1, Expected: 5, Received: 6, OutOfOrder: 1, Duplicated: 1}},
	}
	for _, c := range cases {
		if got := CheckLog(lg, owners, c.who, c.hello, c.got); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
