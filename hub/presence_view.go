package hub

import (
	"bytes"
	"encoding/json"

	"github.com/supportd/supportd/store"
)

// The view is who the sockets here are told is online: this instance's agents
// (h.agents, at once) and the other instances' (h.remote, as last read). A socket
// gets the whole view once, in the presence snapshot after hello, and then only
// what changed: presence.changed {joined, left} for super admins, presence
// {agentsOnline} for clients when the number changed. So a change costs each
// socket bytes for the people who changed, whatever the number online.
//
// Joins here change the view at once; leaves here wait for a fresh read of the
// other instances (leavePresenceLocked). Changes are gathered in h.touched and
// sent out by flushPresence, a batch every presenceBatchFor(online) at most. A
// socket whose snapshot was taken between two flushes may already hold some of
// the batch's changes: the batch therefore names each touched person with their
// state at the flush (joined if in the view, left if not), never a difference of
// counts, so applying it again is harmless and every socket ends equal to the
// view.

// joinPresence counts s online (for a super admin's socket: its agent) and
// returns its snapshot, one frame in parts to write in order; from then on s gets
// the changes. The snapshot already counts s, since the view changes at once.
func (h *Hub) joinPresence(s *socket) [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.inPresence = true
	if !s.caller.IsSuperAdmin() {
		s.agentsSeen = len(h.view)
		return [][]byte{control("presence", map[string]int{"agentsOnline": s.agentsSeen})}
	}
	a := h.agents[s.caller.ID]
	a.name = s.caller.Name
	a.sockets++
	h.agents[s.caller.ID] = a
	if a.sockets == 1 {
		h.localPresenceChanged()
		h.showLocked(store.Person{ID: s.caller.ID, Name: s.caller.Name})
	}
	return h.online.snapshot(h.view)
}

// leavePresenceLocked undoes joinPresence; again (or without it) does nothing.
func (h *Hub) leavePresenceLocked(s *socket) {
	if !s.inPresence {
		return
	}
	s.inPresence = false
	if !s.caller.IsSuperAdmin() {
		return
	}
	a := h.agents[s.caller.ID]
	if a.sockets--; a.sockets > 0 {
		h.agents[s.caller.ID] = a
		return
	}
	delete(h.agents, s.caller.ID)
	// The agent may have just connected to another instance (a reload that moved
	// her): the view loses her only after a fresh read of the others' lists (see
	// runPresence), so that no socket sees her leave and come back.
	h.leftHere = true
	h.localPresenceChanged()
}

// takeLeftHere reports whether an agent left this instance since the last call.
func (h *Hub) takeLeftHere() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	left := h.leftHere
	h.leftHere = false
	return left
}

// setRemote replaces the other instances' agents with others.
func (h *Hub) setRemote(others []store.Person) {
	h.mu.Lock()
	defer h.mu.Unlock()
	remote := make(map[store.ID]struct{}, len(others))
	for _, p := range others {
		remote[p.ID] = struct{}{}
		h.showLocked(p)
	}
	for id := range h.view {
		_, there := remote[id]
		_, here := h.agents[id]
		if !there && !here {
			h.hideLocked(id)
		}
	}
	h.remote = remote
}

func (h *Hub) showLocked(p store.Person) {
	if _, ok := h.view[p.ID]; ok {
		return
	}
	b, _ := json.Marshal(p)
	h.view[p.ID] = b
	h.touched[p.ID] = b
	h.online.add(b)
}

func (h *Hub) hideLocked(id store.ID) {
	b, ok := h.view[id]
	if !ok {
		return
	}
	delete(h.view, id)
	h.touched[id] = b
	h.online.stale = true
}

// flushPresence sends the sockets the changes gathered since the last flush.
func (h *Hub) flushPresence() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.touched) == 0 {
		return
	}
	var joined, left [][]byte
	for id, b := range h.touched {
		if _, ok := h.view[id]; ok {
			joined = append(joined, b)
		} else {
			left = append(left, b)
		}
	}
	clear(h.touched)
	forAdmin := [][]byte{encodeLists("presence.changed", namedList{"joined", joined}, namedList{"left", left})}
	n := len(h.view)
	var forClient [][]byte
	out := h.outbox[:0]
	for s := range h.all {
		switch {
		case !s.inPresence:
		case s.caller.IsSuperAdmin():
			out = append(out, parcel{s, forAdmin})
		case s.agentsSeen != n:
			if forClient == nil {
				forClient = [][]byte{control("presence", map[string]int{"agentsOnline": n})}
			}
			s.agentsSeen = n
			out = append(out, parcel{s, forClient})
		}
	}
	// One goroutine: presence waits a batch anyway, and a flush with 5,000 agents
	// online writes 100 MB; on every core it starved the handshakes of a
	// connect wave for as long.
	h.sendAllLockedOn(out, 1)
}

// namedList is a list of encoded JSON values under a name.
type namedList struct {
	name  string
	items [][]byte
}

// jsonLists writes {"name":[item,…],…}; names are plain ASCII.
func jsonLists(lists ...namedList) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, l := range lists {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + l.name + `":[`)
		b.Write(bytes.Join(l.items, []byte{','}))
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes()
}
