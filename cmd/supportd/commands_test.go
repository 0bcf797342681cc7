package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/supportd/supportd/store/postgres/pgtest"
)

func TestHealthcheckCommand(t *testing.T) {
	base, _ := startServe(t, map[string]string{})
	u, _ := url.Parse(base)
	env := func(k string) string { return map[string]string{"ADDR": ":" + u.Port()}[k] }
	if err := run(context.Background(), []string{"healthcheck"}, env, io.Discard, io.Discard); err != nil {
		t.Fatalf("healthcheck of a ready server: %v", err)
	}
	down := func(k string) string { return map[string]string{"ADDR": freeAddr(t)}[k] }
	if err := run(context.Background(), []string{"healthcheck"}, down, io.Discard, io.Discard); err == nil {
		t.Fatal("healthcheck of nothing succeeded")
	}
}

func TestHelpListsCommandsAndSettings(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"serve", "-h"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range []string{"serve", "migrate", "token", "healthcheck", "version", "help",
			"ADDR", "DATABASE_URL", "REDIS_URL", "REDIS_PREFIX", "JWT_SECRET", "ALLOWED_ORIGINS", "RATE_LIMIT",
			"RATE_BURST", "EVENT_RETENTION", "LOG_LEVEL", "DEMO", "GITHUB_TOKEN", "GITHUB_REPO", "GITHUB_API_URL", "PPROF_ADDR", "WS_DIRECT_WRITES",
			"WEBHOOK_PRIVATE", "DB_TIMEOUT", "GITHUB_WEBHOOK_SECRET", "WEBHOOK_LEASE"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: help does not mention %s", args, want)
			}
		}
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "supportd ") || !strings.HasPrefix(lines[1], "commit ") || lines[2] != runtime.Version() {
		t.Fatalf("version printed %q, want supportd <version>, commit <hash>, %s", out.String(), runtime.Version())
	}
}

func TestLogLevelIsValidated(t *testing.T) {
	env := func(k string) string { return map[string]string{"LOG_LEVEL": "bogus"}[k] }
	err := run(context.Background(), nil, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `LOG_LEVEL must be debug, info, warn or error, got "bogus"`) {
		t.Fatalf("LOG_LEVEL=bogus: %v", err)
	}
	for _, ok := range []string{"debug", "INFO", "warn", "error"} {
		if _, err := loadConfig(func(k string) string { return map[string]string{"LOG_LEVEL": ok}[k] }, "serve", nil); err != nil {
			t.Errorf("LOG_LEVEL=%s refused: %v", ok, err)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "supportd help") {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestMigrateNeedsNoSecret(t *testing.T) {
	env := map[string]string{"DATABASE_URL": pgtest.NewDatabase(t)}
	if err := run(context.Background(), []string{"migrate"}, func(k string) string { return env[k] }, io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate without JWT_SECRET: %v", err)
	}
}

func TestRootRedirectsToDemoInDevMode(t *testing.T) {
	base, _ := startServe(t, map[string]string{})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/demo/" {
		t.Fatalf("GET / in dev mode: %d Location %q, want 302 /demo/", res.StatusCode, res.Header.Get("Location"))
	}
	off, _ := startServe(t, map[string]string{"DEMO": "off"})
	if code, body := do(t, "GET", off+"/", "", ""); code != 404 || !strings.Contains(body, `"code":"NotFound"`) {
		t.Fatalf("GET / with the demo off: %d %s, want the JSON 404", code, body)
	}
}
