package ledger

import "time"

// Event is one event of the server's log as an agent's replay shows it.
type Event struct {
	ID     int64
	Type   string
	Ticket string
	Client string // the ticket's client, when the payload names it
	At     time.Time
}

// Log is the log from one id (exclusive) to the newest at the time it was read.
type Log struct {
	From, Last int64
	Events     []Event
	ByID       map[int64]Event
}

// Scope is whose events a socket is owed: an agent's socket every event, a
// client's the events of that client's tickets.
type Scope struct {
	Admin  bool
	Client string // the client's id; "" for an agent
}

// CheckLog checks what one socket received against the log: every event
// of its scope after its hello's lastEventId must have come once, in order, and
// nothing out of its scope. Events of tickets whose client is unknown (deleted),
// and events before its hello or after the log's end, are checked for order and
// duplicates only.
func CheckLog(lg *Log, owners map[string]string, who Scope, helloLast int64, got []Recv) Tally {
	t := Tally{Sockets: 1, Received: len(got)}
	// in says whether ev is in who's scope; known is false when that cannot be told.
	in := func(ev Event) (in, known bool) {
		if who.Admin {
			return true, true
		}
		c := owners[ev.Ticket]
		return c == who.Client, c != ""
	}
	seen := make(map[int64]bool, len(got))
	var maxID int64
	for _, g := range got {
		switch {
		case seen[g.ID]:
			t.Duplicated++
		case g.ID <= maxID:
			t.OutOfOrder++
		}
		seen[g.ID] = true
		maxID = max(maxID, g.ID)
		if g.ID <= helloLast || g.ID > lg.Last {
			t.Foreign++
			continue
		}
		ev, ok := lg.ByID[g.ID]
		if !ok {
			t.Unexpected++ // inside the log's window, yet not in the log
			continue
		}
		switch mine, known := in(ev); {
		case !known:
			t.Foreign++
		case !mine:
			t.Unexpected++
		}
	}
	for _, ev := range lg.Events {
		if ev.ID <= helloLast {
			continue
		}
		if mine, known := in(ev); mine && known {
			t.Expected++
			if !seen[ev.ID] {
				t.Missing++
			}
		}
	}
	return t
}
