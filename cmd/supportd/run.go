package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"golang.org/x/sync/errgroup"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/hub"
	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

const (
	// shutdownTimeout bounds the drain of in-flight requests at SIGTERM.
	shutdownTimeout = 10 * time.Second
	// devTokenTTL is how long the dev-mode tokens printed at start stay valid.
	devTokenTTL = 24 * time.Hour
)

// run is main without the process: testable, and everything it starts is stopped
// before it returns.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, args, log, stdout, nil)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "token":
		return mintToken(cfg, args, stdout)
	}
	return fmt.Errorf("unknown command %q (want serve, migrate or token)", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// serve runs the server until ctx ends. ready, when not nil, receives the address
// it listens on (tests listen on port 0).
func serve(ctx context.Context, cfg config, args []string, log *slog.Logger, stdout io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dev := cfg.DatabaseURL == ""
	if cfg.JWTSecret == "" {
		cfg.JWTSecret = randomSecret()
	}
	auth, err := api.NewAuth(cfg.JWTSecret, nil)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	broker, err := openBroker(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer broker.Close()
	if dev {
		if err := printDevTokens(ctx, st, auth, stdout); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	published := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "supportd_events_published_total", Help: "Sequenced events this instance published to the broker.",
	})
	reg.MustRegister(published)
	relay := pubsub.NewRelay(st, func(ctx context.Context, evs []store.Event) error {
		if err := broker.Publish(ctx, evs); err != nil {
			return err
		}
		published.Add(float64(len(evs)))
		return nil
	}, cfg.EventRetention, log)

	github, err := openGitHub(cfg)
	if err != nil {
		return err
	}
	origins := api.ParseOrigins(cfg.AllowedOrigins)
	srv := api.New(api.Config{RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, Origins: origins}, api.Deps{
		Store: st, Auth: auth, Log: log, Registry: reg, GitHub: github, Notify: relay.Kick,
		Ready: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			if err := broker.Ping(ctx); err != nil {
				return fmt.Errorf("redis: %w", err)
			}
			return nil
		},
	})
	h := hub.New(hub.Config{Instance: instanceName(), CheckOrigin: origins.Allowed}, hub.Deps{
		Auth: srv, Service: srv.Service(), Log: st, Broker: broker, Logger: log, Registry: reg,
	})
	if err := h.Start(ctx); err != nil {
		return err
	}
	srv.Mount("/ws", h)

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	httpServer := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	log.Info("supportd listening", "addr", ln.Addr().String(), "dev_mode", dev)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	// Background parts live until the sockets are closed, not until ctx ends: the
	// hub must keep fanning out while the HTTP server drains.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var bg errgroup.Group
	bg.Go(func() error { return relay.Run(bgCtx) })
	bg.Go(func() error { return h.Run(bgCtx) })
	serveDone := make(chan error, 1)
	go func() { serveDone <- httpServer.Serve(ln) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-serveDone:
	}
	log.Info("supportd shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if serveErr == nil {
		serveErr = <-serveDone
	}
	if err := h.Close(shutdownCtx); err != nil {
		log.Warn("closing sockets", "err", err)
	}
	stopBackground()
	if err := bg.Wait(); err != nil {
		log.Warn("background", "err", err)
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

func openGitHub(cfg config) (api.IssueCreator, error) {
	if cfg.GitHubToken == "" || cfg.GitHubRepo == "" {
		return nil, nil
	}
	return api.NewGitHub(cfg.GitHubToken, cfg.GitHubRepo, cfg.GitHubAPIURL)
}

// instanceName names this process in presence keys: unique per process.
func instanceName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
