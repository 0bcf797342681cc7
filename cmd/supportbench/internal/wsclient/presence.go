package wsclient

import (
	"bytes"
	"encoding/json"
	"sync/atomic"
)

// Roster numbers the agents whose presence a run tracks: a socket's view of who
// is online is a bitset over those numbers (625 bytes for 5,000 agents, where a
// set of ids per socket would take hundreds of KiB). Agents of other runs on the
// same server are not tracked. Read-only once built.
type Roster struct {
	index map[string]int
	// tail is the first number of the agents that leave in the run's second
	// phase: each view counts how many of those it holds.
	tail int
}

// NewRoster numbers ids in order; agents from tail on are the ones that leave.
func NewRoster(ids []string, tail int) *Roster {
	r := &Roster{index: make(map[string]int, len(ids)), tail: tail}
	for i, id := range ids {
		r.index[id] = i
	}
	return r
}

// PresenceView is one socket's idea of who is online, kept by its reader from the
// presence frames it gets: a full `presence` (online list, or agentsOnline) replaces
// it, a `presence.changed` (joined, left) amends it. The counts are atomic so
// that the scenario can watch them converge while the reader runs.
type PresenceView struct {
	online []uint64 // bitset over the roster
	// N is how many of the roster's agents the view holds, Tail how many of those
	// from the roster's tail; Agents the last agentsOnline a client got (-1: none).
	N, Tail, Agents atomic.Int64
	// Frames and Bytes count the presence frames and their bytes; Bad those it
	// could not read.
	Frames, Bytes, Bad atomic.Int64
	// LastAt is when the last presence frame arrived (unix ns).
	LastAt atomic.Int64
}

// presenceData is what the view needs of a presence frame's data.
type presenceData struct {
	Online []struct {
		ID string `json:"_id"`
	} `json:"online"`
	AgentsOnline *int64 `json:"agentsOnline"`
	Joined       []struct {
		ID string `json:"_id"`
	} `json:"joined"`
	Left []struct {
		ID string `json:"_id"`
	} `json:"left"`
}

// idKey opens each id in a presence list: store.Person's JSON starts with it.
var idKey = []byte(`"_id":"`)

// apply takes one presence frame (full is `presence`, else `presence.changed`).
// A full list is scanned for ids rather than decoded: the old server sends the
// whole list on every change, gigabytes in a 5,000-agent connect wave.
func (v *PresenceView) apply(r *Roster, b []byte, full bool, at int64) {
	v.Frames.Add(1)
	v.Bytes.Add(int64(len(b)))
	v.LastAt.Store(at)
	if v.online == nil {
		v.online = make([]uint64, (len(r.index)+63)/64)
		v.Agents.Store(-1)
	}
	if full && bytes.Contains(b, []byte(`"online"`)) {
		clear(v.online)
		v.N.Store(0)
		v.Tail.Store(0)
		for rest := b; ; {
			i := bytes.Index(rest, idKey)
			if i < 0 {
				return
			}
			rest = rest[i+len(idKey):]
			if end := bytes.IndexByte(rest, '"'); end >= 0 {
				v.set(r, string(rest[:end]), true)
				rest = rest[end:]
			}
		}
	}
	var m struct{ Data presenceData }
	if err := json.Unmarshal(b, &m); err != nil {
		v.Bad.Add(1)
		return
	}
	if m.Data.AgentsOnline != nil {
		v.Agents.Store(*m.Data.AgentsOnline)
	}
	for _, p := range m.Data.Joined {
		v.set(r, p.ID, true)
	}
	for _, p := range m.Data.Left {
		v.set(r, p.ID, false)
	}
}

// set puts the agent id in the view or takes it out; ids off the roster are
// another run's.
func (v *PresenceView) set(r *Roster, id string, in bool) {
	i, ok := r.index[id]
	if !ok {
		return
	}
	w, bit := i/64, uint64(1)<<(i%64)
	if (v.online[w]&bit != 0) == in {
		return
	}
	v.online[w] ^= bit
	d := int64(1)
	if !in {
		d = -1
	}
	v.N.Add(d)
	if i >= r.tail {
		v.Tail.Add(d)
	}
}
