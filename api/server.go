// Package api is supportd's HTTP surface: the chi router, bearer-token auth, request
// validation, error mapping, and the ticket service the handlers call.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/store"
)

// Config is what the api needs from the process configuration.
type Config struct {
	// RateLimit is each caller's sustained REST requests per second; RateBurst the
	// bucket size. Zero RateLimit turns limiting off.
	RateLimit float64
	RateBurst int
	// Origins are the ALLOWED_ORIGINS patterns (CORS and WebSockets).
	Origins Origins
	// GitHubWebhookSecret verifies POST /github/webhook; empty: that route answers 503.
	GitHubWebhookSecret string
}

// Deps are the parts built in cmd and passed in.
type Deps struct {
	Store    store.Store
	Auth     *Auth
	Log      *slog.Logger
	Registry *prometheus.Registry
	// GitHub creates issues; nil when GITHUB_TOKEN or GITHUB_REPO is unset.
	GitHub IssueCreator
	// Webhooks is the store's integrations part; nil: Store's own, if it has one.
	Webhooks store.Webhooks
	// PrivateAddr, when set (WEBHOOK_PRIVATE=deny), reports the addresses a
	// webhook must not reach (pubsub.PrivateAddr): POST /webhooks refuses a url
	// naming one literally, or localhost. Nil: any address.
	PrivateAddr func(netip.Addr) bool
	// Notify is called after every committed write that waits for nothing (a
	// socket's seen), so that its events go out at once.
	Notify func()
	// Sync waits for the events committed so far to be numbered and returns the
	// newest event id (pubsub.Relay.Sync): REST writes answer it in
	// X-Last-Event-Id. Nil: they answer without it.
	Sync func(ctx context.Context) (int64, error)
	// Ready reports whether the engines behind the server answer (for /readyz):
	// an error makes /readyz 503.
	Ready func(ctx context.Context) error
	// Degraded, when set, reports an engine the server works without (Redis):
	// /readyz stays 200 and says which one is unreachable.
	Degraded func(ctx context.Context) (engine string, err error)
	Now      func() time.Time
}

// Server serves the REST API.
type Server struct {
	cfg      Config
	store    store.Store
	auth     *Auth
	log      *slog.Logger
	svc      *Service
	people   *people
	limiter  *rateLimiter
	reads    *inflight // expensive reads in flight, per caller
	pages    *inflight // plain list pages in flight, per caller
	metrics  *metrics
	registry *prometheus.Registry
	ready    func(ctx context.Context) error
	degraded func(ctx context.Context) (string, error)
	extra    map[string]http.Handler
	now      func() time.Time
	hooks    store.Webhooks // nil: the webhook routes answer 503
	kick     func()
	sync     func(ctx context.Context) (int64, error)

	// privateAddr refuses webhook urls (Deps.PrivateAddr); nil: none.
	privateAddr func(netip.Addr) bool
}

// New builds the server; Handler returns its router.
func New(cfg Config, d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Notify == nil {
		d.Notify = func() {}
	}
	if d.Ready == nil {
		d.Ready = d.Store.Ping
	}
	if d.Webhooks == nil {
		d.Webhooks, _ = d.Store.(store.Webhooks)
	}
	s := &Server{
		cfg:      cfg,
		store:    d.Store,
		auth:     d.Auth,
		log:      d.Log,
		kick:     d.Notify,
		sync:     d.Sync,
		people:   newPeople(d.Store),
		limiter:  newRateLimiter(cfg.RateLimit, cfg.RateBurst, d.Now),
		reads:    newInflight(maxReadsInFlight),
		pages:    newInflight(maxPagesInFlight),
		metrics:  newMetrics(d.Registry),
		registry: d.Registry,
		ready:    d.Ready,
		degraded: d.Degraded,
		extra:    map[string]http.Handler{},
		now:      d.Now,
		hooks:    d.Webhooks,

		privateAddr: d.PrivateAddr,
	}
	s.svc = NewService(d.Store, d.GitHub, s.afterCommit, d.Now)
	return s
}

// Mount serves h under pattern on the same router, logged and measured like the
// rest (the WebSocket hub, the demo pages). Call it before Handler.
func (s *Server) Mount(pattern string, h http.Handler) { s.extra[pattern] = h }

// Service is the ticket service the handlers use; the hub shares it for seen marks.
func (s *Server) Service() *Service { return s.svc }
