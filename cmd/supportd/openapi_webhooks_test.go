package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// gitHubSecret is GITHUB_WEBHOOK_SECRET in TestOpenAPIDescribesEveryAnswer.
const gitHubSecret = "openapi-loop-back"

// failingWebhook creates a webhook whose endpoint answers 500 and waits for its
// first failed attempt, so that the deliveries answer has an attempt to describe.
func failingWebhook(t *testing.T, base string, agent person) store.ID {
	t.Helper()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(down.Close)
	var hook struct{ Data store.Webhook }
	if code := call(t, base, agent, "POST", "/webhooks", map[string]any{"url": down.URL, "events": []string{"ticket.created"}}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	createTicket(t, base, newPerson(t, store.RoleClient, "Hooked"), "for the webhook")
	path := "/webhooks/" + string(hook.Data.ID) + "/deliveries"
	if !wsEventually(10*time.Second, func() bool {
		var out struct{ Data []json.RawMessage }
		call(t, base, agent, "GET", path, nil, &out)
		return len(out.Data) > 0
	}) {
		t.Fatal("no delivery attempt within 10 s")
	}
	return hook.Data.ID
}

// gitHubHeaders are the headers of a GitHub delivery of body, signed with
// gitHubSecret; the delivery id differs with the body.
func gitHubHeaders(body, event string) []string {
	mac := hmac.New(sha256.New, []byte(gitHubSecret))
	mac.Write([]byte(body))
	sum := hex.EncodeToString(mac.Sum(nil))
	return []string{"X-Hub-Signature-256", "sha256=" + sum, "X-GitHub-Event", event, "X-GitHub-Delivery", sum[:16]}
}

// webhookCases are TestOpenAPIDescribesEveryAnswer's cases of the webhooks, the
// events feed and the GitHub loop-back; hook is a webhook with attempts, deleted last.
func webhookCases(t *testing.T, base string, agent, client person, hook store.ID) []apiCase {
	t.Helper()
	id, none := string(hook), "aaaaaaaaaaaaaaaaaaaaaaaa"
	closed := `{"action":"closed","issue":{"html_url":"https://github.com/acme/app/issues/404"}}`
	return []apiCase{
		{"webhook create", "POST", "/webhooks", `{"url":"https://example.com/hook","events":["thread.added"]}`, &agent, nil, 201, true},
		{"webhook create bad url", "POST", "/webhooks", `{"url":"ftp://example.com/hook"}`, &agent, nil, 400, true},
		{"webhook create unknown type", "POST", "/webhooks", `{"url":"https://example.com/hook","events":["nope"]}`, &agent, nil, 400, false},
		{"webhook create as client", "POST", "/webhooks", `{"url":"https://example.com/hook"}`, &client, nil, 403, true},
		{"webhook list", "GET", "/webhooks", "", &agent, nil, 200, true},
		{"webhook list as client", "GET", "/webhooks", "", &client, nil, 403, true},
		{"webhook deliveries", "GET", "/webhooks/" + id + "/deliveries?limit=5", "", &agent, nil, 200, true},
		{"webhook deliveries bad limit", "GET", "/webhooks/" + id + "/deliveries?limit=0", "", &agent, nil, 400, false},
		{"webhook deliveries unknown", "GET", "/webhooks/" + none + "/deliveries", "", &agent, nil, 404, true},
		{"webhook replay", "POST", "/webhooks/" + id + "/replay", `{"fromEventId":"0"}`, &agent, nil, 202, true},
		{"webhook replay bad id", "POST", "/webhooks/" + id + "/replay", `{"fromEventId":"x"}`, &agent, nil, 400, false},
		{"webhook replay unknown", "POST", "/webhooks/" + none + "/replay", `{"fromEventId":"0"}`, &agent, nil, 404, true},
		{"webhook delete", "DELETE", "/webhooks/" + id, "", &agent, nil, 200, true},
		{"webhook delete unknown", "DELETE", "/webhooks/" + id, "", &agent, nil, 404, true},
		{"events", "GET", "/events?after=0&limit=2", "", &agent, nil, 200, true},
		{"events of a client", "GET", "/events", "", &client, nil, 200, true},
		{"events bad after", "GET", "/events?after=x", "", &agent, nil, 400, false},
		{"events bad limit", "GET", "/events?limit=1001", "", &agent, nil, 400, false},
		{"events no token", "GET", "/events", "", nil, nil, 401, true},
		{"github bad signature", "POST", "/github/webhook", closed, nil, []string{"X-Hub-Signature-256", "sha256=00", "X-GitHub-Event", "issues"}, 401, true},
		{"github unknown issue", "POST", "/github/webhook", closed, nil, gitHubHeaders(closed, "issues"), 200, true},
		{"github malformed issues", "POST", "/github/webhook", `{"action":"closed"}`, nil, gitHubHeaders(`{"action":"closed"}`, "issues"), 400, true},
		{"github ping", "POST", "/github/webhook", `{"zen":"hi"}`, nil, gitHubHeaders(`{"zen":"hi"}`, "ping"), 200, true},
	}
}
