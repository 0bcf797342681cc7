package main

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestPprofServedUntilShutdown(t *testing.T) {
	addr := freeAddr(t)
	s := wsLaunch(t, map[string]string{"PPROF_ADDR": addr}, io.Discard)
	if code, _ := do(t, "GET", "http://"+addr+"/debug/pprof/cmdline", "", ""); code != 200 {
		t.Fatalf("GET /debug/pprof/cmdline: %d, want 200", code)
	}
	if code, _ := do(t, "GET", s.base+"/debug/pprof/cmdline", "", ""); code != 404 {
		t.Errorf("pprof on the API's address: %d, want 404", code)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("serve returned %v, want nil", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("pprof still accepts connections after serve returned")
	}
}

func TestPprofPortInUseStopsTheStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	env := func(k string) string { return map[string]string{"PPROF_ADDR": busy.Addr().String()}[k] }
	cfg, err := loadConfig(env, "serve", []string{"-addr", "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = serve(ctx, cfg, newLogger(io.Discard, "error"), io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "PPROF_ADDR") {
		t.Fatalf("serve with PPROF_ADDR in use: got %v, want a PPROF_ADDR error", err)
	}
}
