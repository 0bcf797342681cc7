package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
	"github.com/supportd/supportd/store/postgres"
)

// openStore opens PostgreSQL and applies the migrations, or, with no DATABASE_URL,
// the in-memory store of the embedded dev mode.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (store.Store, error) {
	if cfg.DatabaseURL == "" {
		log.Warn("DEV MODE: no DATABASE_URL, tickets live in memory and vanish at exit")
		return memory.New(), nil
	}
	db, err := postgres.OpenWith(ctx, cfg.DatabaseURL, postgres.Options{Timeout: cfg.DBTimeout})
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return db, nil
}

func migrate(ctx context.Context, cfg config, log *slog.Logger) error {
	if cfg.DatabaseURL == "" {
		return fmt.Errorf("migrate needs DATABASE_URL")
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	st.Close()
	log.Info("migrations applied")
	return nil
}

// printDevTokens makes a client and a super admin and prints a token for each, so
// that a newcomer can curl the dev server at once (and, with demo set to the server's
// base URL, a link to the demo page of each). Both are remembered, so the super
// admin can open tickets for the client straight away.
func printDevTokens(ctx context.Context, st store.Store, auth *api.Auth, w io.Writer, demo string) error {
	gen := store.NewIDGen()
	people := []store.Caller{
		{ID: gen.New(time.Now()), Name: "Dev Client", Role: store.RoleClient},
		{ID: gen.New(time.Now()), Name: "Dev Agent", Role: store.RoleSuperAdmin},
	}
	fmt.Fprintln(w, "DEV MODE tokens (valid 24h):")
	for _, p := range people {
		if err := st.RememberPerson(ctx, p); err != nil {
			return err
		}
		tok, err := auth.Mint(p, devTokenTTL)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-10s %s (sub %s)\n  export %s_TOKEN=%s\n", p.Role, p.Name, p.ID, envName(p.Role), tok)
		if demo != "" {
			fmt.Fprintf(w, "  demo: %s/demo/%s?token=%s\n", demo, demoPage(p.Role), tok)
		}
	}
	return nil
}

func demoPage(r store.Role) string {
	if r == store.RoleSuperAdmin {
		return "console.html"
	}
	return "widget.html"
}

func envName(r store.Role) string {
	if r == store.RoleSuperAdmin {
		return "AGENT"
	}
	return "CLIENT"
}

// redisStartPing bounds the ping at start: it only decides whether to say, at
// once, that the instance starts degraded.
const redisStartPing = time.Second

// openBroker connects to Redis, or, with no REDIS_URL, makes the in-process broker
// of the embedded dev mode (one instance only). A Redis that does not answer is no
// reason not to start: REST works without it and the hub polls the event log
// until the subscription attaches (its loop retries with backoff and logs the
// degraded state). A Redis that answers with an error (a wrong password) is a
// configuration error, and stops the start.
func openBroker(ctx context.Context, cfg config, log *slog.Logger) (pubsub.Broker, error) {
	if cfg.RedisURL == "" {
		log.Warn("DEV MODE: no REDIS_URL, events reach only this instance's sockets")
		return pubsub.NewMemory(), nil
	}
	client, err := pubsub.NewRedisClient(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, redisStartPing)
	defer cancel()
	if err := pubsub.PingClient(pctx, client); err != nil {
		if pubsub.IsRedisReply(err) {
			_ = client.Close()
			return nil, fmt.Errorf("redis: %w", err)
		}
		// Unreachable: the subscription's first failure logs the degraded state.
	}
	return pubsub.NewRedis(client, pubsub.RedisOptions{Prefix: cfg.RedisPrefix, Logger: log}), nil
}

// watchRedis registers supportd_redis_up and returns /readyz's Degraded check,
// when broker is Redis (nil otherwise: dev mode has no Redis to lose).
func watchRedis(broker pubsub.Broker, reg prometheus.Registerer) func(context.Context) (string, error) {
	rb, ok := broker.(*pubsub.Redis)
	if !ok {
		return nil
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "supportd_redis_up",
		Help: "1 while this instance's Redis subscription is live; 0 while Redis is unreachable (degraded: sockets get events by polling the event log).",
	}, func() float64 {
		if rb.Connected() {
			return 1
		}
		return 0
	}))
	return func(ctx context.Context) (string, error) {
		if !rb.Connected() {
			return "redis", errors.New("redis subscription down")
		}
		return "redis", rb.Ping(ctx)
	}
}
