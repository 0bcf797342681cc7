// Package hub is supportd's WebSocket layer: one hub per instance that fans the
// event stream out to authenticated sockets in scope, replays missed events on
// resume, and relays typing and presence.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

const (
	// catchUpInterval is how often the hub compares its cursor with the event log.
	// It bounds how late an event can be when Redis lost it (outage, a publisher that
	// died after sequencing): the log is the source of truth, Redis the fast path.
	catchUpInterval = time.Second
	// replayPage is how many events one read of the log returns during replay and
	// catch-up.
	replayPage = 500
	// logTimeout bounds one read of the event log.
	logTimeout = 5 * time.Second
	// inboxSize is how many published batches may wait for the dispatcher; beyond it
	// the subscriber waits, which only delays the fast path (catch-up covers it).
	inboxSize = 1024
)

// Authenticator verifies the token of an upgrade request (header or access_token):
// the caller and when its token expires. Its error is the 401 message.
type Authenticator interface {
	AuthenticateSocket(r *http.Request) (store.Caller, time.Time, error)
}

// Service is what the hub needs of the ticket service.
type Service interface {
	// MarkSeen is the REST seen call, for the socket's "seen" message.
	MarkSeen(ctx context.Context, c store.Caller, threadIDs []store.ID) error
	// TicketClient is the client of a ticket c may see (the audience of typing).
	TicketClient(ctx context.Context, c store.Caller, id store.ID) (store.ID, error)
}

// EventLog is the part of the store the hub reads.
type EventLog interface {
	EventsAfter(ctx context.Context, after int64, limit int) ([]store.Event, error)
	ClientEventsAfter(ctx context.Context, client store.ID, after int64, limit int) ([]store.Event, error)
	LastEventID(ctx context.Context) (int64, error)
}

// Config holds the hub's settings.
type Config struct {
	// Instance names this process in presence keys; unique per instance.
	Instance string
	// CheckOrigin says whether a browser origin may open a socket.
	CheckOrigin func(origin, host string) bool
	// PingInterval and PingTimeout set the heartbeat (0: 25 s and 10 s): a ping
	// every PingInterval, and a socket whose pong does not come within
	// PingTimeout is closed.
	PingInterval, PingTimeout time.Duration
}

// Deps are the parts the hub uses, built in cmd.
type Deps struct {
	Auth     Authenticator
	Service  Service
	Log      EventLog
	Broker   pubsub.Broker
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Budget is the callers' REST rate budget, which seen and typing draw on; nil
	// leaves them to the per-socket limit alone.
	Budget Budget
}

// Hub owns every socket of this instance.
type Hub struct {
	cfg     Config
	auth    Authenticator
	svc     Service
	events  EventLog
	broker  pubsub.Broker
	log     *slog.Logger
	metrics *metrics
	budget  Budget

	mu            sync.Mutex
	cursor        int64 // id of the newest event fanned out
	admins        map[*socket]struct{}
	clients       map[store.ID]map[*socket]struct{}
	perUser       map[store.ID]int
	agents        map[store.ID]agent   // super admins with sockets here
	all           map[*socket]struct{} // every socket, registered or still replaying
	online        []store.Person       // presence across instances, as last read
	presenceCache *presenceFrames      // frames of online: built at first need, rebuilt at once on a change
	outbox        []parcel             // a fan-out's parcels, reused (see sendAllLocked)
	closing       bool

	inbox      chan []store.Event
	catchUp    chan struct{}
	presenceCh chan struct{}
	refreshCh  chan struct{}
	sockets    sync.WaitGroup
}

type agent struct {
	name    string
	sockets int
}

// New builds a hub; Run starts it.
func New(cfg Config, d Deps) *Hub {
	if cfg.CheckOrigin == nil {
		cfg.CheckOrigin = func(origin, host string) bool { return origin == "" }
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = defaultPingInterval
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = defaultPingTimeout
	}
	return &Hub{
		cfg: cfg, auth: d.Auth, svc: d.Service, events: d.Log, broker: d.Broker, log: d.Logger,
		metrics:    newMetrics(d.Registry),
		budget:     d.Budget,
		admins:     map[*socket]struct{}{},
		clients:    map[store.ID]map[*socket]struct{}{},
		perUser:    map[store.ID]int{},
		agents:     map[store.ID]agent{},
		all:        map[*socket]struct{}{},
		inbox:      make(chan []store.Event, inboxSize),
		catchUp:    make(chan struct{}, 1),
		presenceCh: make(chan struct{}, 1),
		refreshCh:  make(chan struct{}, 1),
	}
}

// Start reads the newest event id, so that the hub fans out what comes after it.
// Call it before serving sockets.
func (h *Hub) Start(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, logTimeout)
	defer cancel()
	last, err := h.events.LastEventID(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.cursor = last
	h.mu.Unlock()
	return nil
}

// Run subscribes to the broker and dispatches events until ctx ends. Sockets are
// closed by Close, not by Run.
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	wg.Go(func() { h.runPresence(ctx) })
	sub := h.subscribe(ctx, &wg)
	defer func() { sub() }()

	tick := time.NewTicker(catchUpInterval)
	defer tick.Stop()
	var seenLast int64 // the log's newest id at the previous tick
	for {
		select {
		case <-ctx.Done():
			return nil
		case evs := <-h.inbox:
			h.apply(ctx, evs)
		case <-h.catchUp:
			h.catchUpFromLog(ctx)
		case <-tick.C:
			// An event that was in the log a whole tick ago and still has not come
			// through Redis was lost there: catch up from the log, and treat a
			// subscription that is connected but silent as broken.
			if h.cursorNow() < seenLast {
				h.catchUpFromLog(ctx)
				h.log.Warn("events missed by the subscription; resubscribing")
				h.metrics.resubscribes.Inc()
				sub()
				sub = h.subscribe(ctx, &wg)
			}
			last, err := h.lastInLog(ctx)
			if err != nil {
				h.log.Warn("reading the newest event id failed", "err", err)
			}
			seenLast = last
		}
	}
}

// subscribe starts a subscription owned by wg and returns its stop function.
func (h *Hub) subscribe(ctx context.Context, wg *sync.WaitGroup) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		if err := h.broker.Subscribe(ctx, subscriber{h: h, ctx: ctx}); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Warn("subscription ended", "err", err)
		}
	})
	return func() { cancel(); <-done }
}

func (h *Hub) cursorNow() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cursor
}

// lastInLog returns 0 with its error so that Run's next tick, given no newest
// id, sees nothing missed rather than a stale one.
func (h *Hub) lastInLog(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, logTimeout)
	defer cancel()
	last, err := h.events.LastEventID(ctx)
	if err != nil {
		return 0, err
	}
	return last, nil
}

// subscriber adapts the hub to pubsub.Handler.
type subscriber struct {
	h   *Hub
	ctx context.Context
}

func (s subscriber) Events(evs []store.Event) {
	select {
	case s.h.inbox <- evs:
	case <-s.ctx.Done():
	}
}

func (s subscriber) Ephemeral(m pubsub.Ephemeral) {
	switch m.Type {
	case "typing":
		s.h.fanOutTyping(m)
	case "presence":
		s.h.presenceChanged()
	}
}

func (s subscriber) Subscribed() {
	s.h.metrics.subscriptions.Inc()
	select {
	case s.h.catchUp <- struct{}{}:
	default:
	}
}

// apply fans out a published batch in id order. Ids at or below the cursor were
// delivered already; a gap means a batch published by another instance overtook
// this one, and the log (where every sequenced event is committed before it is
// published) fills it. An event the log does not confirm is not ours: skipped.
func (h *Hub) apply(ctx context.Context, evs []store.Event) {
	var run []store.Event
	next := h.cursorNow() + 1
	for i, ev := range evs {
		if ev.ID < next {
			continue
		}
		if ev.ID > next {
			h.deliver(run)
			h.catchUpFromLog(ctx)
			h.applyAfterGap(evs[i:])
			return
		}
		run = append(run, ev)
		next = ev.ID + 1
	}
	h.deliver(run)
}

// applyAfterGap delivers what is left of a batch once the log filled the gap:
// only events that directly follow the cursor.
func (h *Hub) applyAfterGap(evs []store.Event) {
	next := h.cursorNow() + 1
	var run []store.Event
	for _, ev := range evs {
		if ev.ID == next {
			run = append(run, ev)
			next++
		}
	}
	h.deliver(run)
}

// catchUpFromLog delivers every event after the cursor that the log holds.
func (h *Hub) catchUpFromLog(ctx context.Context) {
	for {
		after := h.cursorNow()
		rctx, cancel := context.WithTimeout(ctx, logTimeout)
		evs, err := h.events.EventsAfter(rctx, after, replayPage)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("catching up from the event log failed", "err", err)
			}
			return
		}
		h.metrics.caughtUp.Add(float64(len(evs)))
		h.deliver(evs)
		if len(evs) < replayPage {
			return
		}
	}
}
