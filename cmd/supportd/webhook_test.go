package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// TestServeDeliversWebhooks: the real serve, in dev mode and on PostgreSQL, delivers
// a REST write's events to a webhook made over REST, and takes the GitHub loop-back
// secret from GITHUB_WEBHOOK_SECRET.
func TestServeDeliversWebhooks(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				got []string
			)
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				mu.Lock()
				defer mu.Unlock()
				got = append(got, r.Header.Get("webhook-id"))
			}))
			defer rcv.Close()
			e := env(t)
			e["GITHUB_WEBHOOK_SECRET"] = "loop-back"
			base, _ := startServe(t, e)
			agent, client := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleClient, "Acme")
			if code := call(t, base, agent, "POST", "/webhooks", map[string]any{"url": rcv.URL, "events": []string{"thread.added"}}, nil); code != http.StatusCreated {
				t.Fatalf("create webhook: %d", code)
			}
			createTicket(t, base, client, "hooked")
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
				mu.Lock()
				n := len(got)
				mu.Unlock()
				if n == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the webhook got %d events in 10 s, want the one thread.added", n)
				}
			}
			req, _ := http.NewRequest("POST", base+"/github/webhook", strings.NewReader(`{}`))
			req.Header.Set("X-Hub-Signature-256", "sha256=00")
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("loop-back with a bad signature: %d, want 401 (the secret is configured)", res.StatusCode)
			}
		})
	}
}
