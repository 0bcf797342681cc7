package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// StatusClientClosed is the status logged and counted for a request whose client hung
// up before it was answered (nginx's 499): nothing was sent, and the server did not fail.
const StatusClientClosed = 499

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "supportd_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "supportd_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration)
	}
	return m
}

// methodLabel is method when it is one of HTTP's, else "other": the method is sent by
// the client, so taking it as sent would let anyone mint label values (and series).
func methodLabel(method string) string {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE":
		return method
	}
	return "other"
}

// observe logs and measures every request by its route pattern (never its raw path,
// whose ids would explode the label set, nor its query, which may hold a token).
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		status := answeredStatus(r, ww.Status())
		d := time.Since(start)
		method := methodLabel(r.Method)
		s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(route, method).Observe(d.Seconds())
		s.log.InfoContext(r.Context(), "request",
			"method", method, "route", route, "status", status,
			"duration_ms", float64(d.Microseconds())/1000, "request_id", middleware.GetReqID(r.Context()))
	})
}

// answeredStatus is the status to log and count: a handler that wrote nothing answered
// 200 (net/http's default), unless its client hung up first; a 5xx caused by the
// hang-up (a canceled query) is the client's doing too, so it is not counted as an error.
func answeredStatus(r *http.Request, status int) int {
	gone := r.Context().Err() != nil
	switch {
	case gone && (status == 0 || status >= 500):
		return StatusClientClosed
	case status == 0:
		return http.StatusOK
	}
	return status
}

// maxRequestIDLen caps a client's X-Request-Id: it goes into every log line of the
// request, so a longer one is replaced rather than trusted.
const maxRequestIDLen = 64

// requestID takes the client's X-Request-Id when it is 1–64 characters of
// [A-Za-z0-9._-] (safe to log and to echo), else makes a fresh one, and echoes the id
// in the answer so that a client can quote it.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(middleware.RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(middleware.RequestIDHeader, id)
		ctx := context.WithValue(r.Context(), middleware.RequestIDKey, id)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID is 16 random hex characters: unique enough to find a request's lines.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on the platforms Go supports
	return hex.EncodeToString(b[:])
}

// noSniff keeps browsers from guessing a content type other than the one declared
// (an error's JSON taken for HTML, say); it is set first so that every answer has it.
func noSniff(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// noStore marks the REST routes' answers as not to be kept by browsers or proxies:
// they are one caller's private data, fetched with a bearer token.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler bug into a logged 500 instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, r, s.log, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
