package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

func TestWSAndRESTRefuseControlCharactersInName(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			for _, n := range []string{"A\x00B", "A\nB", "\x1b[2J"} {
				p := newPerson(t, store.RoleClient, n)
				c, status, body := wsUpgrade(t, base, "", wsBearer(p))
				wsWantRefused(t, "header token", c, status, body, http.StatusUnauthorized, "Unauthorized")
				c, status, body = wsUpgrade(t, base, "access_token="+url.QueryEscape(p.token), http.Header{})
				wsWantRefused(t, "query token", c, status, body, http.StatusUnauthorized, "Unauthorized")
				if code, res := do(t, "GET", base+"/support-tickets", p.token, ""); code != http.StatusUnauthorized {
					t.Fatalf("REST with name %q: got %d %s, want 401", n, code, res)
				}
			}
		})
	}
}

func TestDemoPagesAndSocketRefusalsAreNoSniff(t *testing.T) {
	e := map[string]string{"JWT_SECRET": secret, "RATE_LIMIT": "0", "ALLOWED_ORIGINS": "https://app.example.com"}
	base, _ := startServe(t, e)
	for _, path := range []string{"/demo/", "/demo/lib/supportd-client.js"} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: got %d with X-Content-Type-Options %q, want 200 nosniff", path, res.StatusCode, res.Header.Get("X-Content-Type-Options"))
		}
	}
	a := newPerson(t, store.RoleClient, "A")
	for what, h := range map[string]http.Header{
		"no token":   {},
		"bad origin": wsBearer(a, "Origin", "https://evil.example"),
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, res, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/ws", &websocket.DialOptions{HTTPHeader: h})
		cancel()
		if err == nil {
			c.CloseNow()
			t.Fatalf("%s: the socket opened", what)
		}
		if res == nil || res.StatusCode < 400 || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: refusal %v lacks X-Content-Type-Options: nosniff", what, res)
		}
	}
}
