package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/supportd/supportd/cmd/internal/faultproxy"
)

// proxyCmd is `supportbench proxy`: a TCP proxy between a supportd instance and its
// PostgreSQL or Redis whose link faults.sh breaks on purpose, steered over HTTP:
//
//	POST /pass | /blackhole | /reset     switch the mode
//	POST /delay?d=200ms                  hold every chunk that long (0 turns it off)
//
// It is a tool, not a scenario: it runs until ctx ends (a signal or -max-time).
func proxyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "127.0.0.1:5432", "address to forward to")
	control := fs.String("control", "127.0.0.1:0", "address of the HTTP control endpoint")
	mode := fs.String("mode", "pass", "mode at start: pass, blackhole or reset")
	maxTime := fs.Duration("max-time", time.Hour, "stop after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	start, ok := proxyModes()[*mode]
	if !ok {
		fmt.Fprintf(stderr, "supportbench proxy: -mode must be pass, blackhole or reset, got %q\n", *mode)
		return 2
	}
	p, err := faultproxy.Start(*target)
	if err != nil {
		fmt.Fprintln(stderr, "supportbench proxy:", err)
		return 1
	}
	defer p.Close()
	p.Set(start)
	ln, err := net.Listen("tcp", *control)
	if err != nil {
		fmt.Fprintln(stderr, "supportbench proxy:", err)
		return 1
	}
	srv := &http.Server{Handler: proxyControl(p), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// The two addresses on one line, for scripts to read.
	fmt.Fprintf(stdout, "proxy %s control %s\n", p.Addr(), ln.Addr())

	ctx, cancel := context.WithTimeout(ctx, *maxTime)
	defer cancel()
	select {
	case <-ctx.Done():
	case err = <-served:
	}
	shut, cancelShut := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShut()
	_ = srv.Shutdown(shut)
	if err == nil {
		err = <-served
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "supportbench proxy:", err)
		return 1
	}
	return 0
}

func proxyModes() map[string]faultproxy.Mode {
	return map[string]faultproxy.Mode{
		"pass": faultproxy.Pass, "blackhole": faultproxy.Blackhole, "reset": faultproxy.Reset,
	}
}

func proxyControl(p *faultproxy.Proxy) http.Handler {
	mux := http.NewServeMux()
	for name, m := range proxyModes() {
		mux.HandleFunc("POST /"+name, func(w http.ResponseWriter, r *http.Request) {
			p.Set(m)
			fmt.Fprintln(w, name)
		})
	}
	mux.HandleFunc("POST /delay", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 {
			http.Error(w, "d must be a duration such as 200ms", http.StatusBadRequest)
			return
		}
		p.SetDelay(d)
		fmt.Fprintln(w, "delay", d)
	})
	return mux
}
