package wsclient

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// Roster numbers the agents whose presence a run tracks: a socket's view of who
// is online is a bitset over those numbers (625 bytes for 5,000 agents, where a
// set of ids per socket would take hundreds of KiB). Agents of other runs on the
// same server are not tracked. The numbering is read-only once built; what the
// readers share besides (last, cache) is guarded by mu.
type Roster struct {
	// last is the longest agents' list read lately (see list); replaced, never
	// changed.
	last  *readList
	index map[string]int
	// byPrefix numbers the ids by their first 16 bytes, checked against ids: an
	// integer key hashes cheaper than a 24-byte string, and a wave of 5,000
	// agents is tens of millions of lookups (0.45 → 0.36 s of the tool's
	// profile of one).
	byPrefix map[uint64]int32
	ids      []string
	seed     maphash.Seed
	mu       sync.Mutex
	cache    map[uint64]cachedChanges // by the frame's hash; see changes
	// tail is the first number of the agents that leave in the run's second
	// phase: each view counts how many of those it holds.
	tail int
}

// NewRoster numbers ids in order; agents from tail on are the ones that leave.
func NewRoster(ids []string, tail int) *Roster {
	r := &Roster{index: make(map[string]int, len(ids)), tail: tail, seed: maphash.MakeSeed(), cache: map[uint64]cachedChanges{}}
	r.ids = ids
	r.byPrefix = make(map[uint64]int32, len(ids))
	for i, id := range ids {
		r.index[id] = i
		if k, ok := prefixKey([]byte(id)); ok {
			if _, dup := r.byPrefix[k]; dup {
				r.byPrefix[k] = -1 // shared: such ids are looked up by string
			} else {
				r.byPrefix[k] = int32(i)
			}
		}
	}
	return r
}

// PresenceView is one socket's idea of who is online, kept by its reader from the
// presence frames it gets: a full `presence` (online list, or agentsOnline) replaces
// it, a `presence.changed` (joined, left) amends it. The counts are atomic so
// that the scenario can watch them converge while the reader runs.
type PresenceView struct {
	online  []uint64 // bitset over the roster
	scratch []int32  // a full list's ops, kept for the next
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
// socket, gigabytes in all), and encoding/json on the tool's one core could not
// keep up. A `presence.changed` goes alike to every agent socket, so the roster
// reads each distinct one once (see Roster.changes).
func (v *PresenceView) apply(r *Roster, b []byte, full bool, at int64) {
	v.Frames.Add(1)
	v.Bytes.Add(int64(len(b)))
	v.LastAt.Store(at)
	if v.online == nil {
		v.online = make([]uint64, (len(r.index)+63)/64)
		v.Agents.Store(-1)
	}
	var f parsedPresence
	switch {
	case full:
		f = r.parse(v.scratch[:0], b, true)
		v.scratch = f.ops
	default:
		f = r.changes(b)
	}
	switch {
	case f.bad:
		v.Bad.Add(1)
	case f.agents >= 0:
		v.Agents.Store(f.agents)
	default:
		if full {
			clear(v.online)
			v.N.Store(0)
			v.Tail.Store(0)
		}
		v.take(r, f.ops)
	}
}

// take applies ops in order: n+1 puts roster number n in the view, -(n+1) takes
// it out. The counts move once per frame.
func (v *PresenceView) take(r *Roster, ops []int32) {
	var dn, dtail int64
	for _, op := range ops {
		in := op > 0
		i := int(op) - 1
		if !in {
			i = int(-op) - 1
		}
		w, bit := i/64, uint64(1)<<(i%64)
		if (v.online[w]&bit != 0) == in {
			continue
		}
		v.online[w] ^= bit
		d := int64(1)
		if !in {
			d = -1
		}
		dn += d
		if i >= r.tail {
			dtail += d
		}
	}
	v.N.Add(dn)
	v.Tail.Add(dtail)
}

// parsedPresence is what a presence frame says: agentsOnline (≥ 0) for a
// client's, or the roster's agents it puts in (n+1) or takes out (-(n+1)), in
// the frame's order; bad when it could not be read.
type parsedPresence struct {
	agents int64
	ops    []int32
	bad    bool
}

// changesCached bounds the distinct presence.changed frames a roster remembers:
// a connect wave makes one per presence round, each sent to every agent socket
// within that round.
const changesCached = 64

type cachedChanges struct {
	frame []byte
	f     parsedPresence
}

// changes parses a presence.changed frame, or returns the parse of the same
// bytes seen before.
func (r *Roster) changes(b []byte) parsedPresence {
	key := maphash.Bytes(r.seed, b)
	r.mu.Lock()
	c, ok := r.cache[key]
	r.mu.Unlock()
	if ok && bytes.Equal(c.frame, b) {
		return c.f
	}
	f := r.parse(nil, b, false)
	r.mu.Lock()
	if len(r.cache) >= changesCached {
		clear(r.cache)
	}
	r.cache[key] = cachedChanges{frame: bytes.Clone(b), f: f}
	r.mu.Unlock()
	return f
}

// parse reads a presence frame (full: `presence`, else `presence.changed`),
// appending its ops to ops.
func (r *Roster) parse(ops []int32, b []byte, full bool) parsedPresence {
	f := parsedPresence{agents: -1, ops: ops}
	// An agent's list comes first: the search for its key ends near the start of
	// the frame, where one for agentsOnline would read every byte of the list.
	if i := bytes.Index(b, onlineKey); full && i >= 0 {
		f.ops = r.list(f.ops, b[i+len(onlineKey):])
		return f
	}
	if i := bytes.Index(b, agentsKey); i >= 0 {
		rest := b[i+len(agentsKey):]
		end := bytes.IndexAny(rest, ",}")
		n, err := strconv.ParseInt(string(bytes.TrimSpace(rest[:max(end, 0)])), 10, 64)
		f.agents, f.bad = n, end < 0 || err != nil
		return f
	}
	if full {
		f.bad = true
		return f
	}
	j, l := bytes.Index(b, joinedKey), bytes.Index(b, leftKey)
	// Each list runs from its key to the other key, or to the end.
	switch {
	case j < 0 && l < 0:
		f.bad = true
	case l < 0:
		f.ops = r.scan(f.ops, b[j:], true)
	case j < 0:
		f.ops = r.scan(f.ops, b[l:], false)
	case j < l:
		f.ops = r.scan(r.scan(f.ops, b[j:l], true), b[l:], false)
	default:
		f.ops = r.scan(r.scan(f.ops, b[l:j], false), b[j:], true)
	}
	return f
}

// scan appends an op for every roster id in b: in or out. Ids off the roster are
// another run's.
func (r *Roster) scan(ops []int32, b []byte, in bool) []int32 {
	n := len(ops)
	ops, _ = r.scanAt(ops, nil, b, 0)
	if !in {
		for i := n; i < len(ops); i++ {
			ops[i] = -ops[i]
		}
	}
	return ops
}

// scanAt appends, from offset from of b on, an "in" op for every roster id and
// where in b its key begins.
func (r *Roster) scanAt(ops, at []int32, b []byte, from int) ([]int32, []int32) {
	for i := from; ; {
		j := bytes.Index(b[i:], idKey)
		if j < 0 {
			return ops, at
		}
		key := i + j
		i = key + len(idKey)
		end := bytes.IndexByte(b[i:], '"')
		if end < 0 {
			return ops, at
		}
		if n, ok := r.number(b[i : i+end]); ok {
			ops, at = append(ops, int32(n+1)), append(at, int32(key))
		}
		i += end
	}
}

// number is the roster number of id.
func (r *Roster) number(id []byte) (int, bool) {
	if k, ok := prefixKey(id); ok {
		n, ok := r.byPrefix[k]
		if !ok {
			return 0, false
		}
		if n >= 0 {
			return int(n), r.ids[n] == string(id)
		}
	}
	n, ok := r.index[string(id)]
	return n, ok
}

// prefixKey folds the first 16 bytes of id into a number (not a hash: colliding ids
// are looked up by string, see NewRoster).
func prefixKey(id []byte) (uint64, bool) {
	if len(id) < 16 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(id)*0x9e3779b97f4a7c15 ^ binary.LittleEndian.Uint64(id[8:]), true
}

// readList is an agents' list as read: its items (up to the end of the last one)
// and the op of each of its roster ids, with where in items that id's key begins.
type readList struct {
	items []byte
	ops   []int32
	at    []int32
}

// list appends the ops of an agents' list: list is what follows `"online":[`.
//
// Each agent socket of a wave gets a snapshot, and a server may list people in
// the order they came (supportd does): then a snapshot is the list another
// socket got, with the people who came since. So list compares it with the
// last list read, byte for byte, and reads only what differs: the ops of a
// common run of whole items are the last list's. Any other list is read whole.
// Either way the ops are those of a full read.
func (r *Roster) list(ops []int32, list []byte) []int32 {
	end := bytes.LastIndexByte(list, ']')
	if end < 0 || len(bytes.Trim(list[end+1:], "} \t\r\n")) > 0 {
		return r.scan(ops, list, true) // not the frame's last value: read it whole
	}
	items := list[:end]
	r.mu.Lock()
	last := r.last
	r.mu.Unlock()
	if last != nil {
		n := len(last.items)
		switch {
		case len(items) == n && bytes.Equal(items, last.items):
			return append(ops, last.ops...)
		case len(items) > n && items[n] == ',' && bytes.Equal(items[:n], last.items):
			l := &readList{items: bytes.Clone(items), ops: slices.Clone(last.ops), at: slices.Clone(last.at)}
			l.ops, l.at = r.scanAt(l.ops, l.at, items, n)
			r.keep(l, true)
			return append(ops, l.ops...)
		case len(items) < n && (len(items) == 0 || last.items[len(items)] == ',') && bytes.Equal(last.items[:len(items)], items):
			k, _ := slices.BinarySearch(last.at, int32(len(items)))
			return append(ops, last.ops[:k]...)
		}
	}
	l := &readList{items: bytes.Clone(items)}
	l.ops, l.at = r.scanAt(nil, nil, items, 0)
	r.keep(l, false)
	return append(ops, l.ops...)
}

// keep makes l the last list read; one that extends the last (grows) only if no
// longer one came meanwhile.
func (r *Roster) keep(l *readList, grows bool) {
	r.mu.Lock()
	if !grows || r.last == nil || len(r.last.items) <= len(l.items) {
		r.last = l
	}
	r.mu.Unlock()
}
