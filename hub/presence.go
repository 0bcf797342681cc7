package hub

import (
	"context"
	"slices"
	"strings"
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
	// presenceMinGap spaces presence rounds: every round sends the whole list to
	// every socket, and a wave of agents connecting must cost a few rounds, not one
	// per agent. Changes within the gap coalesce into the next round.
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
// Writes to the broker happen at once (another instance may be reading the union);
// only the rounds that re-read and tell every socket are spaced by presenceMinGap.
func (h *Hub) runPresence(ctx context.Context) {
	tick := time.NewTicker(presenceRefresh)
	defer tick.Stop()
	h.writePresence(ctx, false)
	var due <-chan time.Time // set while a round is pending
	var last time.Time       // when the last round ran
	pending := func() {
		if due == nil {
			due = time.After(time.Until(last.Add(presenceMinGap)))
		}
	}
	pending()
	for {
		select {
		case <-ctx.Done():
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), presenceTimeout)
			_ = h.broker.SetPresence(wctx, h.cfg.Instance, nil, presenceTTL)
			_ = h.broker.PublishEphemeral(wctx, pubsub.Ephemeral{Type: "presence", Instance: h.cfg.Instance})
			cancel()
			return
		case <-h.presenceCh:
			h.writePresence(ctx, true)
			pending()
		case <-h.refreshCh:
			pending()
		case <-tick.C:
			h.writePresence(ctx, false)
			pending()
		case <-due:
			due, last = nil, time.Now()
			h.refreshPresence(ctx)
		}
	}
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

// refreshPresence reads who is online everywhere and, when it changed, tells every
// socket here.
func (h *Hub) refreshPresence(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
	defer cancel()
	online, err := h.broker.Presence(ctx)
	if err != nil {
		// Redis down: the agents here are all this instance can vouch for (a
		// stale list would keep agents who left "online" for the whole outage).
		h.log.Warn("reading presence failed; showing this instance's agents only", "err", err)
		online = h.localAgents()
		slices.SortFunc(online, func(a, b store.Person) int { return strings.Compare(string(a.ID), string(b.ID)) })
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if slices.Equal(online, h.online) {
		return
	}
	h.online = online
	h.presenceCache = nil
	admin, client := h.presenceFramesLocked()
	forAdmin, forClient := [][]byte{admin}, [][]byte{client}
	out := h.outbox[:0]
	for s := range h.all {
		if s.caller.IsSuperAdmin() {
			out = append(out, parcel{s, forAdmin})
		} else {
			out = append(out, parcel{s, forClient})
		}
	}
	h.sendAllLocked(out)
}

// presenceFrame is the presence message for a socket of c, as of now.
func (h *Hub) presenceFrame(c store.Caller) []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	admin, client := h.presenceFramesLocked()
	if c.IsSuperAdmin() {
		return admin
	}
	return client
}

// presenceFramesLocked returns the presence frames for the current list, built once
// per change: every socket that opens gets one, and with thousands of agents online
// the list is tens of KiB, so a wave of connects would otherwise build (and leave as
// garbage) one list per socket.
func (h *Hub) presenceFramesLocked() (admin, client []byte) {
	if h.presenceCache == nil {
		online := h.online
		if online == nil {
			online = []store.Person{}
		}
		h.presenceCache = &presenceFrames{
			admin:  control("presence", map[string]any{"online": online}),
			client: control("presence", map[string]int{"agentsOnline": len(online)}),
		}
	}
	return h.presenceCache.admin, h.presenceCache.client
}

// presenceFrames are the presence frames of one list, shared read-only by every
// socket they are sent to.
type presenceFrames struct{ admin, client []byte }
