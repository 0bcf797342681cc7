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
	"sync/atomic"
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
	// pollInterval is how often the log is read for new events while the
	// subscription is down (Redis unreachable, or not yet subscribed): then the log
	// is the only path, and this is how late an event reaches the sockets. One
	// indexed read of an empty page per instance per interval.
	pollInterval = 200 * time.Millisecond
	// replayPage is how many events one read of the log returns during replay and
	// catch-up.
	replayPage = 500
	// logTimeout bounds one read of the event log for a socket.
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
	// PlainWrites sends every frame through the library's own write path
	// (Conn.Write, Conn.Ping) instead of writing pre-built frames on the hijacked
	// connection beside it (wire_*.go): slower, but independent of how the
	// library writes, for a library version wireLibraryVersion was not checked
	// against.
	PlainWrites bool
}

// Deps are the parts the hub uses, built in cmd.
type Deps struct {
	Auth    Authenticator
	Service Service
	// Events is the event log the hub replays and catches up from (Logger is
	// the process's logger).
	Events EventLog
	// Newest reads the log's newest id for hello; nil: Events.LastEventID. cmd gives
	// it a connection pool of its own, so that in a reconnect storm hello does not
	// wait behind the replays' reads.
	Newest   func(ctx context.Context) (int64, error)
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
	newest  *pubsub.Coalescer // the log's newest id, one read for the sockets that arrive together

	// admitMu guards perUser and is taken alone: a handshake that only counts
	// its caller's sockets must not wait behind a fan-out, which holds mu while
	// it writes to every socket.
	admitMu sync.Mutex
	perUser map[store.ID]int
	// stopping is closing, readable without mu (see admit).
	stopping atomic.Bool

	mu      sync.Mutex
	cursor  int64 // id of the newest event fanned out
	admins  map[*socket]struct{}
	clients map[store.ID]map[*socket]struct{}
	agents  map[store.ID]agent   // super admins with sockets here
	all     map[*socket]struct{} // every socket, registered or still replaying
	outbox  []parcel             // a fan-out's parcels, reused (see sendAllLocked)
	closing bool

	// Presence (see presence_view.go).
	remote   map[store.ID]struct{} // the other instances' agents, as last read
	view     map[store.ID][]byte   // who the sockets are told is online: person JSON by id
	touched  map[store.ID][]byte   // people whose state changed since the last flush
	online   onlineList            // the view's people as the super admins' snapshot lists them
	leftHere bool                  // an agent left here since the last flush

	// gap is the dispatcher's state: owned by Run's goroutine (tests drive it
	// directly, without Run).
	gap gap

	inbox      chan []store.Event
	fills      chan logFill  // background log reads, to the dispatcher
	fillReq    chan struct{} // to the log reader: read after the cursor soon
	resub      chan struct{} // from the log reader: the subscription went silent
	subUp      atomic.Bool   // the broker confirmed the subscription, and it is live
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
	h := &Hub{
		cfg: cfg, auth: d.Auth, svc: d.Service, events: d.Events, broker: d.Broker, log: d.Logger,
		metrics:    newMetrics(d.Registry),
		budget:     d.Budget,
		admins:     map[*socket]struct{}{},
		clients:    map[store.ID]map[*socket]struct{}{},
		perUser:    map[store.ID]int{},
		agents:     map[store.ID]agent{},
		all:        map[*socket]struct{}{},
		remote:     map[store.ID]struct{}{},
		view:       map[store.ID][]byte{},
		touched:    map[store.ID][]byte{},
		inbox:      make(chan []store.Event, inboxSize),
		fills:      make(chan logFill),
		fillReq:    make(chan struct{}, 1),
		resub:      make(chan struct{}, 1),
		presenceCh: make(chan struct{}, 1),
		refreshCh:  make(chan struct{}, 1),
	}
	newest := d.Newest
	if newest == nil {
		newest = func(ctx context.Context) (int64, error) { return h.events.LastEventID(ctx) }
	}
	h.newest = pubsub.NewCoalescer(newest, logTimeout)
	return h
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
//
// The dispatcher (this loop) never reads the database: Redis batches and the log
// reader's pages (resume_log.go) both come to it as messages, and events above a
// gap wait in h.gap while the log reader fills it (resume_gap.go). So a slow or
// failing log delays only what is missing, never what Redis brings.
func (h *Hub) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	wg.Go(func() { h.runPresence(ctx) })
	wg.Go(func() { h.runLogReader(ctx) })
	sub := h.subscribe(ctx, &wg)
	defer func() { sub() }()

	for {
		select {
		case <-ctx.Done():
			return nil
		case evs := <-h.inbox:
			h.takeQueued(evs)
		case f := <-h.fills:
			h.takeFill(f)
		case <-h.gap.expired():
			h.gapExpired()
		case <-h.resub:
			h.log.Warn("events missed by the subscription; resubscribing")
			h.metrics.resubscribes.Inc()
			sub()
			sub = h.subscribe(ctx, &wg)
		}
	}
}

// subscribe starts a subscription owned by wg and returns its stop function.
func (h *Hub) subscribe(ctx context.Context, wg *sync.WaitGroup) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		if err := h.broker.Subscribe(ctx, subscriber{h: h, stop: ctx.Done()}); err != nil && !errors.Is(err, context.Canceled) {
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

// subscriber adapts the hub to pubsub.Handler. stop is the subscription's end:
// Events gives up waiting for the dispatcher then.
type subscriber struct {
	h    *Hub
	stop <-chan struct{}
}

func (s subscriber) Events(evs []store.Event) {
	select {
	case s.h.inbox <- evs:
	case <-s.stop:
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

// Subscribed ends polling, and has the log reader catch up on what was published
// while the subscription was down.
func (s subscriber) Subscribed() {
	s.h.metrics.subscriptions.Inc()
	s.h.subUp.Store(true)
	s.h.requestFill()
}

// Unsubscribed starts polling the log until the next Subscribed.
func (s subscriber) Unsubscribed() {
	s.h.subUp.Store(false)
}
