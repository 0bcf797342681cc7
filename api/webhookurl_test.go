package api_test

import (
	"net/http"
	"testing"

	"github.com/supportd/supportd/pubsub"
)

const privateURLMessage = "url must not point to a private or loopback address (WEBHOOK_PRIVATE=deny)"

// TestWebhookPrivateURLRefused: with WEBHOOK_PRIVATE=deny, a url naming localhost or
// a private address literally answers 400; names are left to delivery's check.
func TestWebhookPrivateURLRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ann := e.agent(t, "Ann")
		for _, u := range []string{
			"http://127.0.0.1:9/x", "http://[::1]/", "http://localhost/", "http://10.1.2.3/", "http://169.254.169.254/latest",
			"https://LocalHost.:8443/", "http://hooks.localhost/", "http://[::ffff:10.0.0.1]:8080/", "http://[fe80::1%25eth0]/",
			"http://0.0.0.0/", "http://100.64.1.1/",
		} {
			r := e.req(t, "POST", "/webhooks", ann.token, map[string]any{"url": u})
			if r.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400 (body %s)", u, r.status, r.body)
				continue
			}
			wantStatus(t, r, http.StatusBadRequest, privateURLMessage)
		}
		for _, u := range []string{"https://example.com/hook", "http://93.184.216.34:8080/x", "https://[2606:4700::1]/", "https://localhost.example.com/"} {
			if w := e.createWebhook(t, ann, map[string]any{"url": u}); w.URL != u {
				t.Errorf("created %q, want %q", w.URL, u)
			}
		}
	}, withPrivateAddr(pubsub.PrivateAddr))
}

// TestWebhookPrivateURLAllowedByDefault: without the setting, receivers on this host
// can be registered, as the black-box tests do.
func TestWebhookPrivateURLAllowedByDefault(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	ann := e.agent(t, "Ann")
	for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost/", "http://10.1.2.3/"} {
		e.createWebhook(t, ann, map[string]any{"url": u})
	}
}
