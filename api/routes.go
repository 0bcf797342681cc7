package api

import (
	"net/http"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler is the router: every route of the service in one place.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	allow := allowTable{}
	r.Use(noSniff, requestID, s.observe, s.recoverPanics)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, Errorf(CodeNotFound, "Not found"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := allow.lookup(r); ok {
			w.Header().Set("Allow", a)
		}
		writeError(w, r, s.log, Errorf(CodeMethodNotAllowed, "Method not allowed"))
	})

	s.readOnly(r, allow, "/healthz", s.healthz)
	s.readOnly(r, allow, "/readyz", s.readyz)
	s.readOnly(r, allow, "/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}).ServeHTTP)
	s.readOnly(r, allow, "/openapi.json", s.openAPI)
	s.readOnly(r, allow, "/asyncapi.json", s.asyncAPI)
	r.Post("/github/webhook", s.handle(s.githubWebhook)) // signed by GitHub, no token
	for pattern, h := range s.extra {
		r.Mount(pattern, h)
	}
	if _, ok := s.extra["/demo"]; ok {
		// A newcomer who opens the dev server's address lands on the demo, not a 404.
		r.Get("/", http.RedirectHandler("/demo/", http.StatusFound).ServeHTTP)
	}

	r.Group(func(r chi.Router) {
		r.Use(cors.Handler(cors.Options{
			AllowOriginFunc: func(r *http.Request, origin string) bool {
				return s.cfg.Origins.Allowed(origin, r.Host)
			},
			AllowedMethods: []string{"GET", "POST", "PUT", "DELETE"},
			AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key"},
			ExposedHeaders: []string{"X-Last-Event-Id", "Retry-After", "Idempotent-Replayed", "X-Request-Id"},
			MaxAge:         600,
		}))
		r.Use(noStore)
		for pattern, methods := range s.restRoutes() {
			s.route(r, allow, pattern, methods)
		}
	})
	return r
}

// restRoutes is every authenticated route: path, then method.
func (s *Server) restRoutes() map[string]map[string]handlerFunc {
	return map[string]map[string]handlerFunc{
		"/support-tickets":                   {"GET": s.listTickets},
		"/support-tickets/insert":            {"POST": s.insertTicket},
		"/support-tickets/bulk":              {"POST": s.bulkDelete},
		"/support-tickets/threads/seen":      {"PUT": s.markSeen},
		"/support-tickets/{id}":              {"GET": s.getTicket, "PUT": s.updateTicket, "DELETE": s.deleteTicket},
		"/support-tickets/{id}/thread":       {"POST": s.addThread},
		"/support-tickets/{id}/threads":      {"GET": s.listThreads},
		"/support-tickets/{id}/github-issue": {"POST": s.createGitHubIssue},
		"/webhooks":                          {"GET": s.listWebhooks, "POST": s.createWebhook},
		"/webhooks/{id}":                     {"DELETE": s.deleteWebhook},
		"/webhooks/{id}/deliveries":          {"GET": s.webhookDeliveries},
		"/webhooks/{id}/replay":              {"POST": s.replayWebhook},
		"/events":                            {"GET": s.events},
	}
}

// route registers a path's methods behind auth and rate limits (HEAD with GET's
// handler; net/http drops the body), and answers every other method with 405 and
// Allow. Registering the 405 on the path itself (rather than relying on the router's
// fallback) keeps GET /support-tickets/insert from being taken for
// GET /support-tickets/{id}.
func (s *Server) route(r chi.Router, allow allowTable, pattern string, methods map[string]handlerFunc) {
	names := make([]string, 0, len(methods)+1)
	for m := range methods {
		names = append(names, m)
	}
	if _, ok := methods["GET"]; ok {
		names = append(names, "HEAD")
	}
	r.Handle(pattern, s.notAllowed(allow.add(pattern, names)))
	guarded := r.With(s.authenticate, s.rateLimit, stampWrites)
	for m, h := range methods {
		guarded.Method(m, pattern, s.handle(h))
		if m == "GET" {
			guarded.Method("HEAD", pattern, s.handle(h))
		}
	}
}

// readOnly serves h at pattern for GET and HEAD only: the operational endpoints, which
// take no input and change nothing.
func (s *Server) readOnly(r chi.Router, allow allowTable, pattern string, h http.HandlerFunc) {
	r.Handle(pattern, s.notAllowed(allow.add(pattern, []string{"GET", "HEAD"})))
	r.Get(pattern, h)
	r.Head(pattern, h)
}

// notAllowed answers 405 with the path's Allow list.
func (s *Server) notAllowed(allowed string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allowed)
		writeError(w, r, s.log, Errorf(CodeMethodNotAllowed, "Method %s is not allowed here", r.Method))
	}
}

// allowTable is each registered pattern's Allow list, for the router's own 405: chi
// answers a method outside its known set (X1, say) before it matches a route.
type allowTable map[string]string

// add records pattern's methods and returns them as an Allow value.
func (a allowTable) add(pattern string, methods []string) string {
	sort.Strings(methods)
	a[pattern] = strings.Join(methods, ", ")
	return a[pattern]
}

// lookup finds the Allow list of the pattern r's path matches, looking it up as a GET
// (every pattern of the table answers every known method, if only with 405).
func (a allowTable) lookup(r *http.Request) (string, bool) {
	rc := chi.RouteContext(r.Context())
	if rc == nil || rc.Routes == nil {
		return "", false
	}
	tctx := chi.NewRouteContext()
	if !rc.Routes.Match(tctx, "GET", r.URL.Path) {
		return "", false
	}
	allowed, ok := a[tctx.RoutePattern()]
	return allowed, ok
}
