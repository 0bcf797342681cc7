package main

import (
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofServer serves net/http/pprof on its own listener (PPROF_ADDR, e.g.
// 127.0.0.1:6060), never on the API's: profiles are for operators only.
type pprofServer struct {
	srv  *http.Server
	done chan error // Serve's result
}

// startPprof serves pprof on ln; with a nil ln it serves nothing.
func startPprof(ln net.Listener) *pprofServer {
	if ln == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p := &pprofServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		done: make(chan error, 1),
	}
	go func() { p.done <- p.srv.Serve(ln) }()
	return p
}

// stop closes the server at once (a profile in progress is cut short: it is no
// reason to delay a shutdown), waits for its goroutine and returns what it failed
// with, if anything but being closed.
func (p *pprofServer) stop() error {
	if p == nil {
		return nil
	}
	_ = p.srv.Close()
	if err := <-p.done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
