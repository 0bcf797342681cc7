package hub

import (
	"maps"
	"slices"
	"time"

	"github.com/supportd/supportd/store"
)

const (
	// gapHold is how long events above a gap in the ids wait for the missing ones,
	// from Redis (a batch of another instance that was overtaken: milliseconds) or
	// from the log reader. It bounds how long a failing log can hold up what Redis
	// brings: past it, see gapExpired.
	gapHold = 800 * time.Millisecond
	// maxHeld bounds the events waiting above a gap (their memory): more, and the
	// gap is given up on at once, as when gapHold passes.
	maxHeld = 10_000
)

// gap holds the events that came above a hole in the ids, until the hole is
// filled and they can go out in order. It belongs to the dispatcher (Run's
// goroutine).
type gap struct {
	held  map[int64]heldEvent
	timer *time.Timer // runs while events are held; fires gapHold after the oldest came
}

type heldEvent struct {
	ev store.Event
	at time.Time // when it came
}

// expired is the timer's channel, nil (never ready) while nothing is held.
func (g *gap) expired() <-chan time.Time {
	if g.timer == nil {
		return nil
	}
	return g.timer.C
}

func (g *gap) arm(oldest time.Time) {
	d := max(time.Until(oldest.Add(gapHold)), 0)
	if g.timer == nil {
		g.timer = time.NewTimer(d)
		return
	}
	g.timer.Reset(d)
}

func (g *gap) clear() {
	clear(g.held)
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
}

func (g *gap) oldest() time.Time {
	var t time.Time
	for _, e := range g.held {
		if t.IsZero() || e.at.Before(t) {
			t = e.at
		}
	}
	return t
}

// take delivers a batch (from Redis or the log: ids ascending) in id order. Ids at
// or below the cursor were delivered already. What follows the cursor goes out at
// once; what comes after a hole waits in h.gap, and the log reader is asked to fill
// the hole (it usually fills itself first: another instance's batch that was
// overtaken on the way).
func (h *Hub) take(evs []store.Event, now time.Time) {
	cursor := h.cursorNow()
	i := 0
	for i < len(evs) && evs[i].ID <= cursor {
		i++
	}
	evs = evs[i:]
	if len(h.gap.held) == 0 {
		// The common case: a run that follows the cursor, nothing held.
		n := 0
		for n < len(evs) && evs[n].ID == cursor+1+int64(n) {
			n++
		}
		h.deliver(evs[:n])
		cursor += int64(n)
		evs = evs[n:]
		if len(evs) == 0 {
			return
		}
	}
	if h.gap.held == nil {
		h.gap.held = map[int64]heldEvent{}
	}
	for _, ev := range evs {
		if _, dup := h.gap.held[ev.ID]; ev.ID > cursor && !dup {
			h.gap.held[ev.ID] = heldEvent{ev: ev, at: now}
		}
	}
	h.drainGap(cursor)
}

// drainGap delivers the held events that now follow the cursor, and keeps the
// timer and the log reader going while some remain.
func (h *Hub) drainGap(cursor int64) {
	var run []store.Event
	for next := cursor + 1; ; next++ {
		e, ok := h.gap.held[next]
		if !ok {
			break
		}
		run = append(run, e.ev)
		delete(h.gap.held, next)
	}
	h.deliver(run)
	switch {
	case len(h.gap.held) == 0:
		h.gap.clear()
	case len(h.gap.held) > maxHeld:
		h.skipGap("too many events held")
	default:
		h.gap.arm(h.gap.oldest())
		h.requestFill()
	}
}

// takeFill takes a page the log reader read. A complete read (the log had nothing
// more) that began after a held event came proves that event is not in the log:
// every event is committed and sequenced before it is published. Such an event is
// not ours (another database sharing the Redis prefix): it is dropped.
func (h *Hub) takeFill(f logFill) {
	before := h.cursorNow()
	h.take(f.evs, f.started)
	if n := h.cursorNow() - before; n > 0 && len(f.evs) > 0 {
		h.metrics.caughtUp.Add(float64(n))
	}
	if !f.complete || len(h.gap.held) == 0 {
		return
	}
	var dropped []int64
	for id, e := range h.gap.held {
		if e.at.Before(f.started) {
			dropped = append(dropped, id)
			delete(h.gap.held, id)
		}
	}
	if len(dropped) > 0 {
		h.log.Warn("skipping published events the event log does not hold", "ids", len(dropped), "first", slices.Min(dropped))
		h.drainGap(h.cursorNow())
	}
}

// gapExpired gives up on a hole the log could not fill within gapHold.
func (h *Hub) gapExpired() {
	h.gap.timer = nil // fired: a new one is made when needed
	if len(h.gap.held) > 0 {
		h.skipGap("event log unreadable")
	}
}

// skipGap moves the cursor past the hole and the events held above it, and closes
// every registered socket with 1013 (try again later) without giving it any of
// them. Handing them out would break the one promise a stream makes, that an
// event never follows a later one and nothing is skipped; holding them longer
// would leave every socket here without events while the log is down. Closed, a
// client resumes with the last id it got, below the hole, and its replay reads
// the hole from the log once the log answers again (until then its resume is
// closed with 1013 too). New sockets start past the hole and are live at once.
//
// The sockets are dropped from the fan-out and the cursor moved under one hold
// of h.mu, so no socket can register in between and get events past the hole.
func (h *Hub) skipGap(why string) {
	from := h.cursorNow() + 1
	top := slices.Max(slices.Collect(maps.Keys(h.gap.held)))
	held := len(h.gap.held)
	h.gap.clear()
	h.mu.Lock()
	closed := 0
	for s := range h.admins {
		h.removeLocked(s)
		s.kill(closeLogUnavailable)
		closed++
	}
	for _, set := range h.clients {
		for s := range set {
			h.removeLocked(s)
			s.kill(closeLogUnavailable)
			closed++
		}
	}
	h.cursor = top
	h.mu.Unlock()
	h.log.Warn("gave up on a gap in the event ids; sockets resume from the log",
		"reason", why, "missing_from", from, "held", held, "cursor", top, "sockets_closed", closed)
}
