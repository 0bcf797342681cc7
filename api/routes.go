package api

import (
	"net/http"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/cors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Handler is the router: every route of the service in one place.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID, s.observe, s.recoverPanics)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, Errorf(CodeNotFound, "Not found"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, Errorf(CodeMethodNotAllowed, "Method not allowed"))
	})

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	r.Get("/openapi.json", s.openAPI)
	for pattern, h := range s.extra {
		r.Mount(pattern, h)
	}

	r.Group(func(r chi.Router) {
		r.Use(cors.Handler(cors.Options{
			AllowOriginFunc: func(r *http.Request, origin string) bool {
				return s.cfg.Origins.Allowed(origin, r.Host)
			},
			AllowedMethods: []string{"GET", "POST", "PUT", "DELETE"},
			AllowedHeaders: []string{"Authorization", "Content-Type", "Idempotency-Key"},
			ExposedHeaders: []string{"X-Last-Event-Id", "Retry-After", "Idempotent-Replayed"},
			MaxAge:         600,
		}))
		for pattern, methods := range s.restRoutes() {
			s.route(r, pattern, methods)
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
		"/support-tickets/{id}/github-issue": {"POST": s.createGitHubIssue},
	}
}

// route registers a path's methods behind auth and rate limits, and answers every
// other method with 405 and Allow. Registering the 405 on the path itself (rather than
// relying on the router's fallback) keeps GET /support-tickets/insert from being taken
// for GET /support-tickets/{id}.
func (s *Server) route(r chi.Router, pattern string, methods map[string]handlerFunc) {
	allow := make([]string, 0, len(methods))
	for m := range methods {
		allow = append(allow, m)
	}
	sort.Strings(allow)
	r.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, s.log, Errorf(CodeMethodNotAllowed, "Method %s is not allowed here", r.Method))
	}))
	guarded := r.With(s.authenticate, s.rateLimit, stampWrites)
	for m, h := range methods {
		guarded.Method(m, pattern, s.handle(h))
	}
}
