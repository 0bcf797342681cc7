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
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/supportd/supportd/api"
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
	if dev {
		if err := printDevTokens(ctx, st, auth, stdout); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	relay := pubsub.NewRelay(st, func(context.Context, []store.Event) error { return nil }, cfg.EventRetention, log)
	var github api.IssueCreator
	if cfg.GitHubToken != "" && cfg.GitHubRepo != "" {
		gh, err := api.NewGitHub(cfg.GitHubToken, cfg.GitHubRepo, cfg.GitHubAPIURL)
		if err != nil {
			return err
		}
		github = gh
	}
	srv := api.New(api.Config{
		RateLimit: cfg.RateLimit,
		RateBurst: cfg.RateBurst,
		Origins:   api.ParseOrigins(cfg.AllowedOrigins),
	}, api.Deps{
		Store: st, Auth: auth, Log: log, Registry: reg, GitHub: github, Notify: relay.Kick,
	})

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

	relayCtx, stopRelay := context.WithCancel(context.WithoutCancel(ctx))
	relayDone := make(chan error, 1)
	go func() { relayDone <- relay.Run(relayCtx) }()
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
	stopRelay()
	if err := <-relayDone; err != nil {
		log.Warn("relay", "err", err)
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
