package wsclient

import (
	"bytes"
	"strconv"
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

// The openings the view looks for. A JSON string cannot hold an unescaped
// quote, so none of them can appear inside a name: scanning for them is exact.
var (
	idKey     = []byte(`"_id":"`)
	onlineKey = []byte(`"online":[`)
	joinedKey = []byte(`"joined":[`)
	leftKey   = []byte(`"left":[`)
	agentsKey = []byte(`"agentsOnline":`)
)

// apply takes one presence frame (full is `presence`, else `presence.changed`).
// Frames are scanned for their ids rather than decoded: 5,000 agents connecting
// send each agent socket every other agent at least once (hundreds of KiB per
// socket, gigabytes in all; the old server sent the whole list on every change),
// and encoding/json on the tool's one core could not keep up.
func (v *PresenceView) apply(r *Roster, b []byte, full bool, at int64) {
	v.Frames.Add(1)
	v.Bytes.Add(int64(len(b)))
	v.LastAt.Store(at)
	if v.online == nil {
		v.online = make([]uint64, (len(r.index)+63)/64)
		v.Agents.Store(-1)
	}
	if i := bytes.Index(b, agentsKey); i >= 0 {
		rest := b[i+len(agentsKey):]
		end := bytes.IndexAny(rest, ",}")
		n, err := strconv.ParseInt(string(bytes.TrimSpace(rest[:max(end, 0)])), 10, 64)
		if end < 0 || err != nil {
			v.Bad.Add(1)
			return
		}
		v.Agents.Store(n)
		return
	}
	if full {
		i := bytes.Index(b, onlineKey)
		if i < 0 {
			v.Bad.Add(1)
			return
		}
		clear(v.online)
		v.N.Store(0)
		v.Tail.Store(0)
		v.scan(r, b[i:], true)
		return
	}
	j, l := bytes.Index(b, joinedKey), bytes.Index(b, leftKey)
	if j < 0 && l < 0 {
		v.Bad.Add(1)
		return
	}
	// Each list runs from its key to the other key, or to the end.
	switch {
	case l < 0:
		v.scan(r, b[j:], true)
	case j < 0:
		v.scan(r, b[l:], false)
	case j < l:
		v.scan(r, b[j:l], true)
		v.scan(r, b[l:], false)
	default:
		v.scan(r, b[l:j], false)
		v.scan(r, b[j:], true)
	}
}

// scan sets every id in b in the view, or takes it out.
func (v *PresenceView) scan(r *Roster, b []byte, in bool) {
	for {
		i := bytes.Index(b, idKey)
		if i < 0 {
			return
		}
		b = b[i+len(idKey):]
		end := bytes.IndexByte(b, '"')
		if end < 0 {
			return
		}
		v.set(r, string(b[:end]), in)
		b = b[end:]
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
