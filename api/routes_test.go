package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store/memory"
)

func TestWrongMethodIs405WithAllow(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	a := e.client(t, "A")
	cases := []struct{ method, path, allow string }{
		{"POST", "/support-tickets", "GET, HEAD"},
		{"GET", "/support-tickets/insert", "POST"},
		{"DELETE", "/support-tickets/bulk", "POST"},
		{"GET", "/support-tickets/threads/seen", "PUT"},
		{"POST", "/support-tickets/aaaaaaaaaaaaaaaaaaaaaaaa", "DELETE, GET, HEAD, PUT"},
		{"GET", "/support-tickets/aaaaaaaaaaaaaaaaaaaaaaaa/thread", "POST"},
		{"DELETE", "/support-tickets/aaaaaaaaaaaaaaaaaaaaaaaa/github-issue", "POST"},
	}
	for _, c := range cases {
		r := e.req(t, c.method, c.path, a.token, nil)
		wantStatus(t, r, http.StatusMethodNotAllowed, "")
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	wantStatus(t, e.req(t, "GET", "/nowhere", a.token, nil), http.StatusNotFound, "")
}

func TestBodyOver1MiBIs413(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a := e.client(t, "A")
		tk := e.createTicket(t, a, "x")
		big := `{"message":"` + strings.Repeat("x", api.MaxBodyBytes) + `"}`
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", a.token, big), http.StatusRequestEntityTooLarge, "")
		wantStatus(t, e.req(t, "POST", "/support-tickets/"+string(tk.ID)+"/thread", a.token, big), http.StatusRequestEntityTooLarge, "")
		wantStatus(t, e.req(t, "PUT", "/support-tickets/"+string(tk.ID), a.token, big), http.StatusRequestEntityTooLarge, "")
		wantStatus(t, e.req(t, "POST", "/support-tickets/bulk", a.token, big), http.StatusRequestEntityTooLarge, "")
		wantStatus(t, e.req(t, "PUT", "/support-tickets/threads/seen", a.token, big), http.StatusRequestEntityTooLarge, "")
		if got := len(e.get(t, a, tk.ID).Threads); got != 1 {
			t.Fatalf("threads after rejected bodies: %d", got)
		}
	})
}

func TestRateLimitPerCaller(t *testing.T) {
	e := newEnv(t, memory.New(), withConfig(api.Config{RateLimit: 1, RateBurst: 3}))
	a, b := e.client(t, "A"), e.client(t, "B")
	for i := range 3 {
		wantStatus(t, e.req(t, "GET", "/support-tickets", a.token, nil), http.StatusNotFound, "")
		_ = i
	}
	r := e.req(t, "GET", "/support-tickets", a.token, nil)
	wantStatus(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After: got %q, want 1", r.header.Get("Retry-After"))
	}
	// Another caller has its own bucket.
	wantStatus(t, e.req(t, "GET", "/support-tickets", b.token, nil), http.StatusNotFound, "")
	// Health checks are never limited.
	for range 5 {
		if r := e.req(t, "GET", "/healthz", "", nil); r.status != http.StatusOK {
			t.Fatalf("healthz: %d", r.status)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	wantStatus(t, e.req(t, "GET", "/support-tickets", a.token, nil), http.StatusNotFound, "")
}

// TestOpenAPICoversEveryRoute fails when a route is added to the router but not to
// the document, or the other way round.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	auth, _ := api.NewAuth(testSecret, nil)
	srv := api.New(api.Config{}, api.Deps{
		Store: memory.New(), Auth: auth, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
	})
	e := newEnv(t, memory.New())
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	e.req(t, "GET", "/openapi.json", "", nil).decode(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	// The routes the server declares, and every path the router really serves.
	want := map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /openapi.json": true, "GET /asyncapi.json": true, "POST /github/webhook": true}
	for _, r := range srv.RouteTable() {
		want[r] = true
	}
	routedPaths := map[string]bool{}
	err := chi.Walk(srv.Handler().(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routedPaths[route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for r := range want {
		if !documented[r] {
			t.Errorf("route %s is not in openapi.json", r)
		}
		_, path, _ := strings.Cut(r, " ")
		if !routedPaths[path] {
			t.Errorf("route %s is declared but the router lacks it", r)
		}
	}
	for path := range routedPaths {
		if !want["GET "+path] && !pathDeclared(want, path) {
			t.Errorf("router serves %s, which no declared route names", path)
		}
	}
	for d := range documented {
		if !want[d] && d != "GET /ws" {
			t.Errorf("openapi.json documents %s, which the server lacks", d)
		}
	}
}

func pathDeclared(routes map[string]bool, path string) bool {
	for r := range routes {
		if strings.HasSuffix(r, " "+path) {
			return true
		}
	}
	return false
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	e := newEnv(t, memory.New())
	a := e.client(t, "A")
	tk := e.createTicket(t, a, "x")
	e.get(t, a, tk.ID)
	r := e.req(t, "GET", "/metrics", "", nil)
	body := string(r.body)
	for _, want := range []string{
		`supportd_http_requests_total{method="POST",route="/support-tickets/insert",status="201"} 1`,
		`supportd_http_requests_total{method="GET",route="/support-tickets/{id}",status="200"} 1`,
		`supportd_http_request_duration_seconds_bucket{method="GET",route="/support-tickets/{id}"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, string(tk.ID)) {
		t.Error("metrics contain a raw ticket id")
	}
}
