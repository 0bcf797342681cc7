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

// logReadErr is what a socket's failed read of the event log returns. A done
// parent means the socket is ending (its client left): the read was cut short,
// not refused, so the parent's error goes back as is, unlogged, and the socket
// is not told to try again later.
func (h *Hub) logReadErr(parent context.Context, err error) error {
	if perr := parent.Err(); perr != nil {
		return perr
	}
	h.log.Warn("reading the event log for a socket failed", "err", err)
	return fmt.Errorf("%w: %v", errLogUnavailable, err)
}

// readScope reads a page of the events c may see after `after`: a client's own
// tickets' events only, every event for a super admin.
func (h *Hub) readScope(parent context.Context, c store.Caller, after int64) ([]store.Event, error) {
	ctx, cancel := context.WithTimeout(parent, logTimeout)
	defer cancel()
	var evs []store.Event
	var err error
	if c.IsSuperAdmin() {
		evs, err = h.events.EventsAfter(ctx, after, replayPage)
	} else {
		evs, err = h.events.ClientEventsAfter(ctx, c.ID, after, replayPage)
	}
	if err != nil {
		return nil, h.logReadErr(parent, err)
	}
	return evs, nil
}

// probe is a read of the first event after a resume point, on a goroutine of its
// own (see startProbe).
type probe struct {
	done   chan struct{}
	cursor int64 // the hub's cursor before the read: the log held at least that much
	next   []store.Event
	err    error
}

// startProbe reads the first event after `after` while the socket reads the newest
// id: in a reconnect storm both wait for a database connection, and one wait is
// enough. Whoever starts it must call wait before returning (the goroutine ends
// with the read, bounded by logTimeout).
func (h *Hub) startProbe(parent context.Context, after int64) *probe {
	p := &probe{done: make(chan struct{}), cursor: h.cursorNow()}
	go func() {
		defer close(p.done)
		ctx, cancel := context.WithTimeout(parent, logTimeout)
		defer cancel()
		if p.next, p.err = h.events.EventsAfter(ctx, after, 1); p.err != nil {
			p.err = h.logReadErr(parent, p.err)
		}
	}()
	return p
}

func (p *probe) wait() { <-p.done }

// pruned reports whether events after `after` were pruned: ids are contiguous in
// the log and pruning removes its start, so the probe's one row tells (the next
// event is not after+1, or there is none though the log was past `after` when the
// read began). Past, as known then: the cursor, not hello's newest id, which may
// have been read after the probe and count events numbered since.
func (p *probe) pruned(after int64) (bool, error) {
	p.wait()
	if p.err != nil {
		return false, p.err
	}
	if len(p.next) == 0 {
		return after < p.cursor, nil
	}
	return p.next[0].ID > after+1, nil
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

func (h *Hub) addLocked(s *socket, floor int64) {
	s.floor = floor
	s.setLive(true)
	if s.caller.IsSuperAdmin() {
		h.admins[s] = struct{}{}
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
	h.removeLocked(s)
}

// removeLocked takes s out of the fan-out and presence; again does nothing.
func (h *Hub) removeLocked(s *socket) {
	s.setLive(false)
	h.leavePresenceLocked(s)
	if s.caller.IsSuperAdmin() {
		delete(h.admins, s)
		return
	}
	if set := h.clients[s.caller.ID]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(h.clients, s.caller.ID)
		}
	}
}
