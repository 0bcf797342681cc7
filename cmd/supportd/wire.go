package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/clientjs"
	"github.com/supportd/supportd/hub"
	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

// parts is what serve builds before it serves: the handler, the background parts,
// and the connections they stand on.
type parts struct {
	store   store.Store
	auth    *api.Auth
	handler http.Handler
	hub     *hub.Hub
	relay   *pubsub.Relay
	hooks   *pubsub.Deliverer // nil if the store has no webhooks (both stores do)
	closers []func()          // in opening order: the pool, the newest-id pool, Redis
}

// build opens the store and the broker and wires the relay, the webhook
// deliverer, the API and the hub onto them. On error it closes what it opened.
func build(ctx context.Context, cfg config, log *slog.Logger) (_ *parts, err error) {
	p := &parts{}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if p.auth, err = api.NewAuth(cfg.JWTSecret, nil); err != nil {
		return nil, err
	}
	if p.store, err = openStore(ctx, cfg, log); err != nil {
		return nil, err
	}
	p.closers = append(p.closers, p.store.Close)
	newest, closeNewest, err := openNewest(ctx, cfg, p.store)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, closeNewest)
	broker, err := openBroker(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, func() { _ = broker.Close() })

	instance := instanceName()
	reg := newRegistry()
	wh, ok := p.store.(pubsub.WebhookStore)
	if ok {
		p.hooks = pubsub.NewDeliverer(wh, pubsub.WebhookConfig{Owner: instance, LeaseTTL: cfg.WebhookLease, DenyPrivate: cfg.DenyPrivateWebhooks}, log, reg)
	} else {
		log.Warn("this store has no webhooks: none are delivered")
	}
	p.relay = newRelay(cfg, p.store, broker, p.hooks, log, reg)
	srv, err := newAPI(cfg, p, wh, broker, log, reg)
	if err != nil {
		return nil, err
	}
	p.hub = hub.New(hub.Config{Instance: instance, CheckOrigin: cfg.Origins.Allowed, PlainWrites: cfg.PlainWrites}, hub.Deps{
		Auth: srv, Service: srv.Service(), Events: p.store, Newest: newest, Broker: broker, Logger: log, Registry: reg,
		Budget: srv, // seen and typing draw on the caller's REST budget
	})
	if err := p.hub.Start(ctx); err != nil {
		return nil, err
	}
	srv.Mount("/ws", p.hub)
	if cfg.Demo {
		srv.Mount("/demo", clientjs.Demo())
	}
	p.handler = srv.Handler()
	return p, nil
}

// close releases the connections, the last opened first: Redis, then the pools.
func (p *parts) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
	p.closers = nil
}

// newRegistry is the process's Prometheus registry: built here, never global.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// newRelay makes the relay that numbers committed events and hands each batch to
// the webhook deliverer (hooks, when not nil) and the broker.
func newRelay(cfg config, st store.Store, broker pubsub.Broker, hooks *pubsub.Deliverer, log *slog.Logger, reg prometheus.Registerer) *pubsub.Relay {
	published := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "supportd_events_published_total", Help: "Sequenced events this instance published to the broker.",
	})
	reg.MustRegister(published)
	return pubsub.NewRelay(st, func(ctx context.Context, evs []store.Event) error {
		hooks.Offer(evs)
		if err := broker.Publish(ctx, evs); err != nil {
			return err
		}
		published.Add(float64(len(evs)))
		return nil
	}, cfg.EventRetention, log)
}

// newAPI makes the REST server: its writes wake the relay and wait for its rounds.
func newAPI(cfg config, p *parts, wh store.Webhooks, broker pubsub.Broker, log *slog.Logger, reg *prometheus.Registry) (*api.Server, error) {
	github, err := openGitHub(cfg)
	if err != nil {
		return nil, err
	}
	st := p.store
	var private func(netip.Addr) bool // WEBHOOK_PRIVATE=allow: any webhook url
	if cfg.DenyPrivateWebhooks {
		private = pubsub.PrivateAddr
	}
	return api.New(api.Config{RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, Origins: cfg.Origins, GitHubWebhookSecret: cfg.GitHubWebhookSecret}, api.Deps{
		Store: st, Auth: p.auth, Log: log, Registry: reg, GitHub: github, Notify: p.relay.Kick, Sync: p.relay.Sync, Webhooks: wh,
		PrivateAddr: private,
		Ready: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			return nil
		},
		Degraded: watchRedis(broker, reg),
	}), nil
}

func openGitHub(cfg config) (api.IssueCreator, error) {
	if cfg.GitHubToken == "" || cfg.GitHubRepo == "" {
		return nil, nil
	}
	return api.NewGitHub(cfg.GitHubToken, cfg.GitHubRepo, cfg.GitHubAPIURL)
}

// instanceName names this process in presence keys and webhook leases: unique
// per process.
func instanceName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}
