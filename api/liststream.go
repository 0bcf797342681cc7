package api

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/supportd/supportd/store"
)

// listChunk is how many tickets' threads are loaded at a time: a list request holds
// one chunk, at most 10 × store.ListThreads threads of at most 10,000 characters
// (~2 MB), plus one ticket's JSON, whatever the page size, instead of a whole page of
// conversations.
const listChunk = 10

// dataOpen is how listResponse's JSON begins: its data array comes first.
const dataOpen = `{"data":[`

// writeList answers a list page, loading its tickets' latest threads a chunk at a time
// and writing each ticket as it is encoded. The first chunk is loaded before the
// status is sent, so its failure is a normal error answer; a later failure aborts the
// connection (http.ErrAbortHandler), so that a truncated list never looks complete.
func (s *Server) writeList(w http.ResponseWriter, r *http.Request, c store.Caller, tickets []store.Ticket, tail listResponse) error {
	tail.Data = []store.Ticket{}
	end, err := json.Marshal(tail)
	if err != nil {
		return err
	}
	for i := 0; i < len(tickets); i += listChunk {
		chunk := tickets[i:min(i+listChunk, len(tickets))]
		err := s.loadThreads(r, c, chunk)
		if err != nil && i == 0 {
			return err
		}
		if i == 0 {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			s.mustWrite(w, r, nil, []byte(dataOpen))
		}
		for j := range chunk {
			var b []byte
			if err == nil {
				b, err = json.Marshal(&chunk[j])
				chunk[j].Threads = nil // only the bytes are kept, until written
			}
			if i+j > 0 {
				s.mustWrite(w, r, err, []byte{','})
			}
			s.mustWrite(w, r, err, b)
		}
	}
	s.mustWrite(w, r, nil, append(end[len(dataOpen):], '\n'))
	return nil
}

// mustWrite writes b to an answer whose status is sent, unless err: then, or when the
// write fails (the client is gone), it aborts the connection.
func (s *Server) mustWrite(w http.ResponseWriter, r *http.Request, err error, b []byte) {
	if err != nil {
		// A reader that hung up cancelled the read: that is a 499, not a failure.
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelInfo
		}
		s.log.Log(r.Context(), level, "list aborted mid-answer", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
	if _, err := w.Write(b); err != nil {
		s.log.InfoContext(r.Context(), "list reader hung up", "path", r.URL.Path, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// loadThreads sets the latest threads of chunk's tickets.
func (s *Server) loadThreads(r *http.Request, c store.Caller, chunk []store.Ticket) error {
	ids := make([]store.ID, len(chunk))
	for i, t := range chunk {
		ids[i] = t.ID
	}
	threads, err := s.store.LatestThreads(r.Context(), c, ids, store.ListThreads)
	if err != nil {
		return err
	}
	for i := range chunk {
		chunk[i].Threads = threads[chunk[i].ID]
		if chunk[i].Threads == nil {
			chunk[i].Threads = []store.Thread{}
		}
	}
	return nil
}
