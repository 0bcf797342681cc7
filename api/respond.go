package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/supportd/supportd/store"
)

// writeJSON encodes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"InternalError","message":"Internal server error"}`)
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// writeError writes err in the contract's shape; errors that are not *store.Error are
// logged (with the request's attributes) and hidden behind InternalError.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errors.Is(err, store.ErrUnavailable) {
		log.WarnContext(r.Context(), "database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	e, ok := asError(mapStoreErr(err))
	if !ok && r.Context().Err() != nil {
		// The client hung up and the work failed for it (a canceled query): there is
		// no one to answer, and observe logs and counts the request as 499.
		return
	}
	if !ok {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if e.Code == store.CodeServiceUnavailable {
		w.Header().Set("Retry-After", retryAfterUnavailable)
	}
	writeJSON(w, httpStatus(e.Code), e)
}

// completed is the answer of writes that return no entity; Deleted is set by bulk.
type completed struct {
	Status  string `json:"status"`
	Deleted *int   `json:"deleted,omitempty"`
}

func done() completed { return completed{Status: "completed"} }

// handlerFunc is a handler that returns its error, so that every handler maps errors
// the same way through one adapter.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	}
}
