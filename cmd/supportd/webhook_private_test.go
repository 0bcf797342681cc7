package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// TestServeWebhookPrivateDeny: a webhook to this host, registered while the
// default (allow) was on, gets nothing once the server restarts with
// WEBHOOK_PRIVATE=deny: its attempts fail naming the address, and a new webhook to
// this host is refused at creation.
func TestServeWebhookPrivateDeny(t *testing.T) {
	var hits atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		hits.Add(1)
	}))
	defer rcv.Close()
	env := map[string]string{"JWT_SECRET": secret, "RATE_LIMIT": "0", "DATABASE_URL": pgtest.NewDatabase(t)}
	agent, client := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleClient, "Acme")
	body := map[string]any{"url": rcv.URL, "events": []string{"ticket.created"}}

	allow := wsLaunch(t, env, io.Discard)
	var hook struct{ Data store.Webhook }
	if code := call(t, allow.base, agent, "POST", "/webhooks", body, &hook); code != http.StatusCreated {
		t.Fatalf("create a webhook to %s by default: %d, want 201", rcv.URL, code)
	}
	if err := allow.stop(t); err != nil {
		t.Fatal(err)
	}

	env["WEBHOOK_PRIVATE"] = "deny"
	base := wsLaunch(t, env, io.Discard).base
	var refused struct{ Code, Message string }
	if code := call(t, base, agent, "POST", "/webhooks", body, &refused); code != http.StatusBadRequest ||
		refused.Message != "url must not point to a private or loopback address (WEBHOOK_PRIVATE=deny)" {
		t.Fatalf("create a webhook to %s with deny: %d %+v, want 400 naming the setting", rcv.URL, code, refused)
	}
	createTicket(t, base, client, "for a private webhook")
	path := "/webhooks/" + string(hook.Data.ID) + "/deliveries"
	want := "webhook address " + strings.TrimPrefix(rcv.URL, "http://") + " is private; WEBHOOK_PRIVATE=deny"
	var last string
	if !wsEventually(10*time.Second, func() bool {
		_, last = do(t, "GET", base+path+"?limit=1", agent.token, "")
		return strings.Contains(last, `"error":"`+want+`"`)
	}) {
		t.Fatalf("deliveries after 10 s: %s, want an attempt with the error %q", last, want)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the receiver got %d requests, want none", n)
	}
}
