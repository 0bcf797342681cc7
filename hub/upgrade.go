package hub

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

const (
	// maxSocketsPerCaller bounds the sockets one caller may hold open (the
	// contract's 20): a leaking tab cannot eat the instance.
	maxSocketsPerCaller = 20
	// maxInboundBytes bounds one inbound frame (the contract's 64 KiB); beyond it
	// the library closes the socket with 1009.
	maxInboundBytes = 64 << 10
)

// ServeHTTP upgrades GET /ws. The checks come in the contract's order: token (401),
// origin (403), lastEventId (400), sockets per caller (429).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	caller, expires, err := h.auth.AuthenticateSocket(r)
	if err != nil {
		httpError(w, http.StatusUnauthorized, store.CodeUnauthorized, err.Error())
		return
	}
	if !h.cfg.CheckOrigin(r.Header.Get("Origin"), r.Host) {
		httpError(w, http.StatusForbidden, store.CodeForbidden, "Origin not allowed")
		return
	}
	lastEventID := int64(-1)
	if v, ok := r.URL.Query()["lastEventId"]; ok {
		n, err := strconv.ParseInt(strings.Join(v, ","), 10, 64)
		if err != nil || n < 0 {
			httpError(w, http.StatusBadRequest, store.CodeBadRequest, "lastEventId must be a non-negative integer")
			return
		}
		lastEventID = n
	}
	if status, code, msg := h.admit(caller.ID); status != 0 {
		httpError(w, status, code, msg)
		return
	}

	// The direct path hijacks through smallBuffers, whose wireConn the socket then
	// writes on (wire_*.go); the plain path leaves the hijack to the library.
	var hj *smallBuffers
	rw := w
	if !h.cfg.PlainWrites {
		hj = &smallBuffers{ResponseWriter: w}
		rw = hj
	}
	lastPong := new(atomic.Int64)
	conn, err := websocket.Accept(rw, r, &websocket.AcceptOptions{
		// The origin was checked above against ALLOWED_ORIGINS, which also takes
		// full origins that the library's host patterns cannot express.
		InsecureSkipVerify: true,
		// The reader notes pongs; the heartbeat, which sent the ping, checks later.
		OnPongReceived: func(context.Context, []byte) { lastPong.Store(time.Now().UnixNano()) },
	})
	if err != nil {
		h.release(caller.ID)
		return
	}
	conn.SetReadLimit(maxInboundBytes)
	s := &socket{
		h: h, conn: conn, caller: caller, expires: expires, lastPong: lastPong,
		done: make(chan struct{}),
	}
	if hj != nil {
		s.wire = hj.conn
	}
	if !h.track(s) {
		h.release(caller.ID)
		_ = conn.Close(closeShutdown.status())
		return
	}
	h.metrics.open.WithLabelValues(string(caller.Role)).Inc()
	// The socket outlives this handler, on goroutines of its own (tracked by the
	// hub, which Close waits for): returning lets net/http drop the request and the
	// handler's deep stack, which would otherwise be held for the socket's life.
	go func() {
		defer h.release(caller.ID)
		defer h.untrack(s)
		defer h.metrics.open.WithLabelValues(string(caller.Role)).Dec()
		s.serve(context.Background(), lastEventID)
	}()
}

// admit reserves one of the caller's socket slots.
func (h *Hub) admit(id store.ID) (int, store.Code, string) {
	h.admitMu.Lock()
	defer h.admitMu.Unlock()
	if h.stopping.Load() {
		return http.StatusServiceUnavailable, store.CodeServiceUnavailable, "Server shutting down"
	}
	if h.perUser[id] >= maxSocketsPerCaller {
		return http.StatusTooManyRequests, store.CodeTooManyRequests, "Too many open sockets for this caller"
	}
	h.perUser[id]++
	return 0, "", ""
}

func (h *Hub) release(id store.ID) {
	h.admitMu.Lock()
	defer h.admitMu.Unlock()
	if h.perUser[id]--; h.perUser[id] <= 0 {
		delete(h.perUser, id)
	}
}

// track counts s among the sockets Close must close and wait for.
func (h *Hub) track(s *socket) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.all[s] = struct{}{}
	h.sockets.Add(1)
	return true
}

func (h *Hub) untrack(s *socket) {
	h.mu.Lock()
	delete(h.all, s)
	h.mu.Unlock()
	h.sockets.Done()
}

// Close closes every socket with 1001 and waits for their goroutines, or for ctx.
func (h *Hub) Close(ctx context.Context) error {
	h.stopping.Store(true)
	h.mu.Lock()
	h.closing = true
	for s := range h.all {
		s.kill(closeShutdown)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.sockets.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		h.mu.Lock()
		for s := range h.all {
			s.conn.CloseNow()
		}
		h.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

func httpError(w http.ResponseWriter, status int, code store.Code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(store.Error{Code: code, Message: msg})
}
