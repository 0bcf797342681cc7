package hub

import (
	"context"
	"errors"
	"fmt"

	"github.com/supportd/supportd/store"
)

// errLogUnavailable is a failed read of the event log while a socket starts: the
// socket is closed with 1013 (try again later), never told to reset.
var errLogUnavailable = errors.New("event log unavailable")

// readLog reads a page of the log after `after`.
func (h *Hub) readLog(ctx context.Context, after int64) ([]store.Event, error) {
	ctx, cancel := context.WithTimeout(ctx, logTimeout)
	defer cancel()
	evs, err := h.events.EventsAfter(ctx, after, replayPage)
	if err != nil {
		h.log.Warn("reading the event log for a socket failed", "err", err)
		return nil, fmt.Errorf("%w: %v", errLogUnavailable, err)
	}
	if evs == nil {
		evs = []store.Event{}
	}
	return evs, nil
}

// register adds s to the live fan-out if the hub's cursor is at or below after
// (after < 0: at once). It reports whether it did.
func (h *Hub) register(s *socket, after int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if after >= 0 && h.cursor > after {
		return false
	}
	h.addLocked(s, after)
	return true
}

// registerAnyway registers s whatever the cursor.
func (h *Hub) registerAnyway(s *socket, after int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.addLocked(s, after)
}

func (h *Hub) addLocked(s *socket, floor int64) {
	s.floor = floor
	if s.caller.IsSuperAdmin() {
		h.admins[s] = struct{}{}
		a := h.agents[s.caller.ID]
		a.name = s.caller.Name
		a.sockets++
		h.agents[s.caller.ID] = a
		if a.sockets == 1 {
			h.localPresenceChanged()
		}
		return
	}
	set := h.clients[s.caller.ID]
	if set == nil {
		set = map[*socket]struct{}{}
		h.clients[s.caller.ID] = set
	}
	set[s] = struct{}{}
}

// unregister removes s from the fan-out (whether or not it got there).
func (h *Hub) unregister(s *socket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.caller.IsSuperAdmin() {
		if _, ok := h.admins[s]; ok {
			delete(h.admins, s)
			a := h.agents[s.caller.ID]
			a.sockets--
			if a.sockets <= 0 {
				delete(h.agents, s.caller.ID)
				h.localPresenceChanged()
			} else {
				h.agents[s.caller.ID] = a
			}
		}
		return
	}
	if set := h.clients[s.caller.ID]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.clients, s.caller.ID)
		}
	}
}

// localAgents lists the super admins with sockets here.
func (h *Hub) localAgents() []store.Person {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]store.Person, 0, len(h.agents))
	for id, a := range h.agents {
		out = append(out, store.Person{ID: id, Name: a.name})
	}
	return out
}
