package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
)

// shutdownTimeout bounds the drain of in-flight requests at SIGTERM.
const shutdownTimeout = 10 * time.Second

// serve runs the server until ctx ends. ready, when not nil, receives the address
// it listens on (tests listen on port 0).
func serve(ctx context.Context, cfg config, log *slog.Logger, stdout io.Writer, ready chan<- string) error {
	lns, err := listen(cfg, log)
	if err != nil {
		return err
	}
	defer lns.close()
	p, err := build(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer p.close()
	addr := lns.api.Addr()
	if cfg.devMode() {
		demo := ""
		if cfg.Demo {
			demo = "http://" + localAddr(addr)
		}
		if err := printDevTokens(ctx, p.store, p.auth, stdout, demo); err != nil {
			return err
		}
	}
	log.Info("supportd listening", "addr", addr.String(), "dev_mode", cfg.devMode(), "demo", cfg.Demo)
	if ready != nil {
		ready <- addr.String()
	}
	return p.serveUntilDone(ctx, lns, log)
}

// listeners are serve's sockets, taken first so that a port in use stops the
// start before anything else is opened.
type listeners struct {
	api   net.Listener
	pprof net.Listener // nil without PPROF_ADDR
}

func listen(cfg config, log *slog.Logger) (listeners, error) {
	var lns listeners
	var err error
	if lns.api, err = net.Listen("tcp", cfg.Addr); err != nil {
		return lns, err
	}
	if cfg.PprofAddr != "" {
		if lns.pprof, err = net.Listen("tcp", cfg.PprofAddr); err != nil {
			lns.api.Close()
			return lns, fmt.Errorf("PPROF_ADDR: %w", err)
		}
		log.Warn("pprof listening", "addr", lns.pprof.Addr().String())
	}
	return lns, nil
}

// close closes what no server took over (a server closes its listener itself;
// closing one twice is harmless).
func (lns listeners) close() {
	lns.api.Close()
	if lns.pprof != nil {
		lns.pprof.Close()
	}
}

// serveUntilDone serves until ctx ends or serving fails, then stops in a known order: HTTP
// (the API, then pprof), the hub's sockets, the background parts (the relay, the
// hub's subscriber, the deliverer); serve's deferred close then closes Redis and
// the pools.
func (p *parts) serveUntilDone(ctx context.Context, lns listeners, log *slog.Logger) error {
	stopBackground := p.background(ctx)
	httpServer := newHTTPServer(p.handler, log)
	serveDone := make(chan error, 1)
	go func() { serveDone <- httpServer.Serve(lns.api) }()
	prof := startPprof(lns.pprof)

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
	if err := prof.stop(); err != nil {
		log.Warn("pprof", "err", err)
	}
	if err := p.hub.Close(shutdownCtx); err != nil {
		log.Warn("closing sockets", "err", err)
	}
	if err := stopBackground(); err != nil {
		log.Warn("background", "err", err)
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}

// background runs the parts that live until the sockets are closed, not until
// ctx ends: the hub must keep fanning out while the HTTP server drains. stop ends
// them and returns the first error.
func (p *parts) background(ctx context.Context) (stop func() error) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var g errgroup.Group
	g.Go(func() error { return p.relay.Run(ctx) })
	g.Go(func() error { return p.hub.Run(ctx) })
	if p.hooks != nil {
		g.Go(func() error { return p.hooks.Run(ctx) })
	}
	return func() error {
		cancel()
		return g.Wait()
	}
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// localAddr is how a browser on this machine reaches a listener ("[::]:8080" is
// "localhost:8080").
func localAddr(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return a.String()
}
