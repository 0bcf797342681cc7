package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/supportd/supportd/store"
)

// readyTimeout bounds /readyz so that a hung engine answers 503, not a hung probe.
const readyTimeout = 2 * time.Second

//go:embed openapi.json
var openAPIDocument []byte

// asyncAPIDocument describes the WebSocket protocol of /ws (AsyncAPI 3.0).
//
//go:embed asyncapi.json
var asyncAPIDocument []byte

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is 503 only when the database does not answer (Ready). An engine the
// server works without (Degraded: Redis, whose loss costs latency, not service)
// leaves it 200 with {"status":"degraded","redis":"unreachable"}: a load balancer
// that pulled every instance during a Redis outage would take down a service
// that still works.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeError(w, r, s.log, store.Errorf(store.CodeServiceUnavailable, "Not ready: %v", err))
		return
	}
	if s.degraded != nil {
		if engine, err := s.degraded(ctx); err != nil {
			s.log.DebugContext(r.Context(), "degraded", "engine", engine, "err", err)
			writeJSON(w, http.StatusOK, map[string]string{"status": "degraded", engine: "unreachable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDocument)
}

func (s *Server) asyncAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(asyncAPIDocument)
}
