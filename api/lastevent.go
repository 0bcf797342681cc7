package api

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// syncWait bounds how long a committed write waits for its events to be
// numbered before it answers anyway (without X-Last-Event-Id): a round normally
// takes a few milliseconds, and past this the database is in trouble.
const syncWait = 5 * time.Second

// writeHeaderKey carries a write request's answer headers to afterCommit.
type writeHeaderKey struct{}

// stampWrites lets the writes of the request (anything but GET and HEAD) put
// X-Last-Event-Id in its answer: see afterCommit.
func stampWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r = r.WithContext(context.WithValue(r.Context(), writeHeaderKey{}, w.Header()))
		}
		next.ServeHTTP(w, r)
	})
}

// afterCommit is the service's notify, called after every committed write (and
// after a write that changed nothing, or an idempotent replay). In a REST write
// it waits for a sequencing round that covers the commit and answers with the
// round's newest id, at least the id of each of the write's events
// (read-your-writes: a socket opened after the answer starts past them). When
// the round fails or takes longer than syncWait the write still answers, since
// it committed, but without X-Last-Event-Id: no id is known to cover its events,
// which go out with a later round. Elsewhere (a socket's seen) it only asks for
// a round soon.
func (s *Server) afterCommit(ctx context.Context) {
	hdr, ok := ctx.Value(writeHeaderKey{}).(http.Header)
	if !ok || s.sync == nil {
		s.kick()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, syncWait)
	defer cancel()
	last, err := s.sync(ctx)
	if err != nil {
		s.log.Warn("numbering a write's events failed; answering without X-Last-Event-Id", "err", err)
		s.kick()
		return
	}
	hdr.Set("X-Last-Event-Id", strconv.FormatInt(last, 10))
}
