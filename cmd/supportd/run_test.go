package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

const secret = "end-to-end-secret-that-is-32-bytes"

// startServe runs the real serve on port 0 and returns its base URL and what it
// printed; the server is stopped (and must stop cleanly) when the test ends.
func startServe(t *testing.T, env map[string]string) (string, *bytes.Buffer) {
	t.Helper()
	s := wsLaunch(t, env, io.Discard)
	return s.base, s.stdout
}

func do(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestServeDevModePrintsWorkingTokens(t *testing.T) {
	base, stdout := startServe(t, map[string]string{})
	var client, agent string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export CLIENT_TOKEN="); ok {
			client = v
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export AGENT_TOKEN="); ok {
			agent = v
		}
	}
	if client == "" || agent == "" {
		t.Fatalf("dev tokens not printed:\n%s", stdout)
	}
	if code, _ := do(t, "GET", base+"/healthz", "", ""); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	if code, body := do(t, "GET", base+"/demo/widget.html", "", ""); code != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("dev mode serves no demo: %d", code)
	}
	if !strings.Contains(stdout.String(), "/demo/console.html?token=") {
		t.Fatalf("no demo link printed:\n%s", stdout)
	}
	code, body := do(t, "POST", base+"/support-tickets/insert", client,
		`{"title":"Hello","category":"billing","threads":[{"message":"hi"}]}`)
	if code != 201 || !strings.Contains(body, `"number":1001`) {
		t.Fatalf("insert: %d %s", code, body)
	}
	if code, body := do(t, "GET", base+"/support-tickets?countByStatus=true", agent, ""); code != 200 || !strings.Contains(body, `"pending":1`) {
		t.Fatalf("agent list: %d %s", code, body)
	}
}

func TestServeOnPostgres(t *testing.T) {
	url := pgtest.NewDatabase(t)
	base, _ := startServe(t, map[string]string{"DATABASE_URL": url, "JWT_SECRET": secret})
	if code, body := do(t, "GET", base+"/readyz", "", ""); code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	if code, _ := do(t, "GET", base+"/demo/widget.html", "", ""); code != 404 {
		t.Fatalf("demo served in production mode: %d", code)
	}
	var tok bytes.Buffer
	if err := run(context.Background(), []string{"token", "--role", "client", "--name", "Acme", "--ttl", "1h"},
		func(k string) string { return map[string]string{"JWT_SECRET": secret}[k] }, &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	code, body := do(t, "POST", base+"/support-tickets/insert", strings.TrimSpace(tok.String()),
		`{"title":"Hello","category":"billing","threads":[{"message":"hi"}]}`)
	if code != 201 {
		t.Fatalf("insert: %d %s", code, body)
	}
	// migrate on an up-to-date database is a no-op.
	if err := run(context.Background(), []string{"migrate"},
		func(k string) string { return map[string]string{"JWT_SECRET": secret, "DATABASE_URL": url}[k] }, io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]map[string]string{
		"short secret":            {"JWT_SECRET": "short"},
		"database without secret": {"DATABASE_URL": "postgres://x"},
		"bad rate limit":          {"RATE_LIMIT": "fast"},
		"bad retention":           {"EVENT_RETENTION": "forever"},
		"bad webhook private":     {"WEBHOOK_PRIVATE": "block"},
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard)
			if err == nil {
				t.Fatal("run accepted the configuration")
			}
		})
	}
	err := run(context.Background(), nil, func(k string) string { return map[string]string{"JWT_SECRET": "short"}[k] }, io.Discard, io.Discard)
	if !strings.Contains(err.Error(), "JWT_SECRET must be at least 32 bytes") {
		t.Fatalf("message: %v", err)
	}
}

func TestTokenCommand(t *testing.T) {
	var out bytes.Buffer
	env := func(k string) string { return map[string]string{"JWT_SECRET": secret}[k] }
	err := run(context.Background(), []string{"token", "--role", "superAdmin", "--sub", "aaaaaaaaaaaaaaaaaaaaaaaa", "--name", "Ann"}, env, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := api.NewAuth(secret, nil)
	c, exp, err := auth.Verify(strings.TrimSpace(out.String()))
	if err != nil || c.ID != "aaaaaaaaaaaaaaaaaaaaaaaa" || c.Name != "Ann" || c.Role != "superAdmin" || time.Until(exp) < 23*time.Hour {
		t.Fatalf("token: %+v %v %v", c, exp, err)
	}
	for _, args := range [][]string{{"token", "--role", "root"}, {"token", "--sub", "xyz"}, {"token", "--ttl", "-1h"}} {
		if err := run(context.Background(), args, env, io.Discard, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
