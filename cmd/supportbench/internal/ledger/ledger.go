// Package ledger checks what every socket of a run received against what it
// should have: the keys of the events the run caused, or the server's event log.
package ledger

import "fmt"

// Recv is one recorded event as a socket received it: its event id and, when this
// run caused it, its key (0 otherwise).
type Recv struct {
	ID  int64
	Key int64
}

// Tally is the ledger check of one socket, or of many added up.
type Tally struct {
	Sockets    int `json:"sockets"`
	Expected   int `json:"expected"`   // events of this run the sockets should have got
	Received   int `json:"received"`   // events with an id they did get (this run's or not)
	Missing    int `json:"missing"`    // expected and never received
	Duplicated int `json:"duplicated"` // received again (same event id, or same key under another id)
	OutOfOrder int `json:"outOfOrder"` // event id not above every id received before it
	Unexpected int `json:"unexpected"` // this run's events that were not the socket's to get (scope leak)
	Foreign    int `json:"foreign"`    // events not caused by this run (other users, other tools): checked for order only
}

// Add sums o into t.
func (t *Tally) Add(o Tally) {
	t.Sockets += o.Sockets
	t.Expected += o.Expected
	t.Received += o.Received
	t.Missing += o.Missing
	t.Duplicated += o.Duplicated
	t.OutOfOrder += o.OutOfOrder
	t.Unexpected += o.Unexpected
	t.Foreign += o.Foreign
}

// Clean is the pass condition: nothing missing, twice, out of order or out of scope.
func (t Tally) Clean() bool {
	return t.Missing == 0 && t.Duplicated == 0 && t.OutOfOrder == 0 && t.Unexpected == 0
}

// String is the one-line verdict the report prints.
func (t Tally) String() string {
	return fmt.Sprintf("expected %d, missing %d, duplicated %d, out of order %d, unexpected %d",
		t.Expected, t.Missing, t.Duplicated, t.OutOfOrder, t.Unexpected)
}

// Check compares what one socket received (in arrival order) with the events
// of this run it should have received. maybe reports keys whose write had no clear
// outcome (a timeout): they may or may not arrive, and count neither as missing nor
// as unexpected. A received entry counts at most once: as a duplicate, else as out
// of order.
func Check(expected []int64, maybe func(int64) bool, got []Recv) Tally {
	t := Tally{Sockets: 1, Expected: len(expected), Received: len(got)}
	want := make(map[int64]bool, len(expected))
	for _, k := range expected {
		want[k] = true
	}
	seenID := make(map[int64]bool, len(got))
	seenKey := make(map[int64]bool, len(expected))
	var maxID int64
	for _, r := range got {
		dup := seenID[r.ID] || (r.Key != 0 && seenKey[r.Key])
		seenID[r.ID] = true
		switch {
		case dup:
			t.Duplicated++
		case r.ID <= maxID:
			t.OutOfOrder++
		}
		maxID = max(maxID, r.ID)
		if r.Key == 0 {
			t.Foreign++
			continue
		}
		if !seenKey[r.Key] && !want[r.Key] && (maybe == nil || !maybe(r.Key)) {
			t.Unexpected++
		}
		seenKey[r.Key] = true
	}
	for _, k := range expected {
		if !seenKey[k] {
			t.Missing++
		}
	}
	return t
}
