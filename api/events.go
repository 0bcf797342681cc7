package api

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/supportd/supportd/store"
)

const (
	// defaultFeed and maxFeed are GET /events' limit.
	defaultFeed = 100
	maxFeed     = 1000
	// feedPage is how many events the feed reads from the store at a time: the
	// answer is written as it is read, so its memory does not grow with limit.
	feedPage = 100
)

// events answers GET /events?after=&limit=: the caller's events after `after`, in
// order, as its socket would get them, and lastEventId, the id to ask after next.
// Without after, the feed starts at the oldest event kept.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	limit, err := queryLimit(r, defaultFeed, maxFeed)
	if err != nil {
		return err
	}
	after := int64(-1)
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			return badRequest("after must be an event id (a non-negative integer)")
		}
	}
	wh, err := s.webhooks()
	if err != nil {
		return err
	}
	// Read before the page: every event up to it is committed and numbered, so a page
	// that comes back short has covered the log up to here at least.
	newest, err := s.store.LastEventID(r.Context())
	if err != nil {
		return err
	}
	if after < 0 {
		oldest, err := wh.OldestEventID(r.Context())
		if err != nil {
			return err
		}
		after = oldest - 1
	} else if err := s.checkKept(r, wh, after); err != nil {
		return err
	}
	return s.writeFeed(w, r, c, after, limit, newest)
}

// writeFeed reads and writes the page in feedPage steps. Once part of the answer
// is sent, a failure can no longer become an error answer: it is logged and the
// answer cut short (its JSON left incomplete, so no client takes it for whole).
func (s *Server) writeFeed(w http.ResponseWriter, r *http.Request, c store.Caller, after int64, limit int, newest int64) error {
	var buf bytes.Buffer
	buf.WriteString(`{"data":[`)
	last, n, sent := after, 0, false
	fail := func(err error) error {
		if !sent {
			return err
		}
		s.log.ErrorContext(r.Context(), "events feed cut short", "err", err)
		return nil
	}
	for n < limit {
		want := min(feedPage, limit-n)
		evs, err := s.scope(r, c, last, want)
		if err != nil {
			return fail(err)
		}
		for _, ev := range evs {
			b, err := store.Envelope(ev, c.IsSuperAdmin())
			if err != nil {
				return fail(err)
			}
			if n > 0 {
				buf.WriteByte(',')
			}
			buf.Write(b)
			last, n = ev.ID, n+1
		}
		if len(evs) < want {
			last = max(last, newest) // the log is read to its end
			break
		}
		if buf.Len() > feedFlushBytes {
			err := flushFeed(w, &buf, sent)
			sent = true
			if err != nil {
				return fail(err)
			}
		}
	}
	buf.WriteString(`],"lastEventId":"` + strconv.FormatInt(last, 10) + `"}` + "\n")
	err := flushFeed(w, &buf, sent)
	sent = true
	return fail(err)
}

// feedFlushBytes is when the answer so far is sent on: it bounds the buffer.
const feedFlushBytes = 256 << 10

// flushFeed writes what buf holds, after the headers unless they were sent.
func flushFeed(w http.ResponseWriter, buf *bytes.Buffer, headersSent bool) error {
	if !headersSent {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
	}
	_, err := w.Write(buf.Bytes())
	buf.Reset()
	return err
}

// scope reads a page of the events c may see.
func (s *Server) scope(r *http.Request, c store.Caller, after int64, limit int) ([]store.Event, error) {
	if c.IsSuperAdmin() {
		return s.store.EventsAfter(r.Context(), after, limit)
	}
	return s.store.ClientEventsAfter(r.Context(), c.ID, after, limit)
}
