package hub

import (
	"context"
	"time"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

const (
	// presenceTTL is how long this instance's list of agents stays valid without a
	// refresh. A crashed instance's agents vanish from Redis within the TTL and from
	// every socket at the next re-read, so TTL + presenceRefresh must stay under the
	// contract's 60 s.
	presenceTTL = 40 * time.Second
	// presenceRefresh rewrites this instance's list well inside the TTL, and
	// re-reads everyone's.
	presenceRefresh = 10 * time.Second
	// presenceTimeout bounds one round of presence I/O.
	presenceTimeout = 5 * time.Second
	// presenceBatch gathers this instance's joins and leaves into one
	// presence.changed per socket and one write to Redis: a wave of agents
	// connecting costs each socket a frame per batch, not one per agent. The
	// batch grows with the people online (presenceBatchPerPerson each), up to
	// presenceBatchMax: a batch costs a write to every socket, and 5,000 agents
	// connecting in 100 ms batches were 30 frames per socket, 150,000 writes
	// and as many reads on the other end, which slowed the wave more than its
	// bytes did.
	presenceBatch          = 100 * time.Millisecond
	presenceBatchPerPerson = 100 * time.Microsecond
	presenceBatchMax       = 500 * time.Millisecond
	// presenceMinGap spaces the re-reads of every instance's list that other
	// instances' announcements trigger: a read costs the whole list, so a wave of
	// changes elsewhere must cost a few reads, not one per change.
	presenceMinGap = 500 * time.Millisecond
)

// localPresenceChanged is called under h.mu when an agent's first socket opens or
// last socket closes here.
func (h *Hub) localPresenceChanged() {
	select {
	case h.presenceCh <- struct{}{}:
	default:
	}
}

// presenceChanged is called when another instance announced a change.
func (h *Hub) presenceChanged() {
	select {
	case h.refreshCh <- struct{}{}:
	default:
	}
}

// runPresence publishes this instance's agents and keeps every socket's view of
// who is online current, until ctx ends; then it withdraws this instance's agents.
// Local changes reach the view at once (see presence_view.go); this loop sends
// them out in batches of presenceBatch, writes them to the broker and tells the
// other instances, and re-reads the others' lists when they announce a change
// (spaced by presenceMinGap) and every presenceRefresh.
func (h *Hub) runPresence(ctx context.Context) {
	tick := time.NewTicker(presenceRefresh)
	defer tick.Stop()
	h.writePresence(ctx, false)
	var flush <-chan time.Time // set while local changes wait to go out
	var read <-chan time.Time  // set while a re-read is pending
	var lastRead time.Time
	readSoon := func() {
		if read == nil {
			read = time.After(time.Until(lastRead.Add(presenceMinGap)))
		}
	}
	readSoon()
	for {
		select {
		case <-ctx.Done():
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), presenceTimeout)
			_ = h.broker.SetPresence(wctx, h.cfg.Instance, nil, presenceTTL)
			_ = h.broker.PublishEphemeral(wctx, pubsub.Ephemeral{Type: "presence", Instance: h.cfg.Instance})
			cancel()
			return
		case <-h.presenceCh:
			if flush == nil {
				flush = time.After(h.presenceBatch())
			}
		case <-flush:
			flush = nil
			h.writePresence(ctx, true)
			if h.takeLeftHere() {
				h.readPresence(ctx) // and flush
			} else {
				h.flushPresence()
			}
		case <-h.refreshCh:
			readSoon()
		case <-tick.C:
			h.writePresence(ctx, false)
			readSoon()
		case <-read:
			read, lastRead = nil, time.Now()
			h.readPresence(ctx)
		}
	}
}

// presenceBatch is how long changes gather before they go out (see the
// constant of that name).
func (h *Hub) presenceBatch() time.Duration {
	h.mu.Lock()
	online := len(h.view)
	h.mu.Unlock()
	return presenceBatchFor(online)
}

func presenceBatchFor(online int) time.Duration {
	return min(presenceBatchMax, max(presenceBatch, time.Duration(online)*presenceBatchPerPerson))
}

// writePresence writes this instance's agents; announce tells every instance to
// re-read.
func (h *Hub) writePresence(ctx context.Context, announce bool) {
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	if err := h.broker.SetPresence(ctx, h.cfg.Instance, h.localAgents(), presenceTTL); err != nil {
		h.log.Warn("writing presence failed", "err", err)
	}
	if announce {
		if err := h.broker.PublishEphemeral(ctx, pubsub.Ephemeral{Type: "presence", Instance: h.cfg.Instance}); err != nil {
			h.log.Warn("announcing presence failed", "err", err)
		}
	}
}

// readPresence reads who is online on the other instances and sends the sockets
// here what changed.
func (h *Hub) readPresence(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	others, err := h.broker.Presence(ctx, h.cfg.Instance)
	if err != nil {
		// Redis down: the agents here are all this instance can vouch for (a
		// stale list would keep agents who left "online" for the whole outage).
		h.log.Warn("reading presence failed; showing this instance's agents only", "err", err)
		others = nil
	}
	h.setRemote(others)
	h.flushPresence()
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
