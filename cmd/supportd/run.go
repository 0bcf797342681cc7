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
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"golang.org/x/sync/errgroup"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/clientjs"
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
	switch {
	case cmd == "help" || (cmd == "serve" && wantsHelp(args)):
		_, err := io.WriteString(stdout, usage)
		return err
	case cmd == "version":
		return printVersion(stdout)
	case cmd == "healthcheck":
		return healthcheck(ctx, getenv)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "serve":
		if err := cfg.requireSecret(); err != nil {
			return err
		}
		if addr := getenv("PPROF_ADDR"); addr != "" {
			stop, err := servePprof(addr, log)
			if err != nil {
				return err
			}
			defer stop()
		}
		return serve(ctx, cfg, args, log, stdout, nil)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "token":
		err := mintToken(cfg, args, stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	return fmt.Errorf("unknown command %q (see supportd help)", cmd)
}

// servePprof serves net/http/pprof on its own listener (PPROF_ADDR, e.g.
// 127.0.0.1:6060), never on the API's: profiles are for operators only.
func servePprof(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Warn("pprof listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
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
	newest, closeNewest, err := openNewest(ctx, cfg, st)
	if err != nil {
		return err
	}
	defer closeNewest()
	broker, err := openBroker(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer broker.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	published := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "supportd_events_published_total", Help: "Sequenced events this instance published to the broker.",
	})
	reg.MustRegister(published)
	var hooks *pubsub.Deliverer // nil if the store has no webhooks (both stores do)
	wh, ok := st.(pubsub.WebhookStore)
	if ok {
		hooks = pubsub.NewDeliverer(wh, pubsub.WebhookConfig{Owner: instanceName()}, log, reg)
	} else {
		log.Warn("this store has no webhooks: none are delivered")
	}
	relay := pubsub.NewRelay(st, func(ctx context.Context, evs []store.Event) error {
		hooks.Offer(evs)
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
	srv := api.New(api.Config{RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst, Origins: origins, GitHubWebhookSecret: cfg.GitHubWebhookSecret}, api.Deps{
		Store: st, Auth: auth, Log: log, Registry: reg, GitHub: github, Notify: relay.Kick, Sync: relay.Sync, Webhooks: wh,
		Ready: func(ctx context.Context) error {
			if err := st.Ping(ctx); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			return nil
		},
		Degraded: watchRedis(broker, reg),
	})
	h := hub.New(hub.Config{Instance: instanceName(), CheckOrigin: origins.Allowed}, hub.Deps{
		Auth: srv, Service: srv.Service(), Log: st, Newest: newest, Broker: broker, Logger: log, Registry: reg,
		Budget: srv, // seen and typing draw on the caller's REST budget
	})
	if err := h.Start(ctx); err != nil {
		return err
	}
	srv.Mount("/ws", h)
	if cfg.Demo {
		srv.Mount("/demo", clientjs.Demo())
	}

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
	if dev {
		demo := ""
		if cfg.Demo {
			demo = "http://" + localAddr(ln.Addr())
		}
		if err := printDevTokens(ctx, st, auth, stdout, demo); err != nil {
			ln.Close()
			return err
		}
	}
	log.Info("supportd listening", "addr", ln.Addr().String(), "dev_mode", dev, "demo", cfg.Demo)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	// Background parts live until the sockets are closed, not until ctx ends: the
	// hub must keep fanning out while the HTTP server drains.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var bg errgroup.Group
	bg.Go(func() error { return relay.Run(bgCtx) })
	bg.Go(func() error { return h.Run(bgCtx) })
	if hooks != nil {
		bg.Go(func() error { return hooks.Run(bgCtx) })
	}
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

// localAddr is how a browser on this machine reaches a listener ("[::]:8080" is
// "localhost:8080").
func localAddr(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return a.String()
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
