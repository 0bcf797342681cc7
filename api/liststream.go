package api

import (
	"encoding/json"
	"net/http"

	"github.com/supportd/supportd/store"
)

// listChunk is how many tickets' threads are loaded, encoded and written at a time: a
// list request holds one chunk, at most 10 × store.ListThreads threads of at most
// 10,000 characters (~2 MB, ~4 MB as JSON), whatever the page size, instead of a
// whole page of conversations.
const listChunk = 10

// dataOpen is how listResponse's JSON begins: its data array comes first.
const dataOpen = `{"data":[`

// writeList answers a list page, loading its tickets' latest threads a chunk at a time
// and writing each chunk before loading the next. The first chunk is loaded before the
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
		b, err := s.encodeChunk(r, c, chunk, i == 0)
		if err != nil && i == 0 {
			return err
		}
		if err != nil {
			s.log.ErrorContext(r.Context(), "list aborted mid-answer", "path", r.URL.Path, "err", err)
			panic(http.ErrAbortHandler)
		}
		if i == 0 {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			b = append([]byte(dataOpen), b...)
		}
		if _, err := w.Write(b); err != nil {
			panic(http.ErrAbortHandler) // the client is gone
		}
	}
	_, _ = w.Write(append(end[len(dataOpen):], '\n'))
	return nil
}

// encodeChunk loads the latest threads of chunk's tickets and encodes the tickets as
// items of the data array (a comma before each but the very first). The threads are
// dropped from chunk afterwards, so that only the bytes are kept.
func (s *Server) encodeChunk(r *http.Request, c store.Caller, chunk []store.Ticket, first bool) ([]byte, error) {
	ids := make([]store.ID, len(chunk))
	for i, t := range chunk {
		ids[i] = t.ID
	}
	threads, err := s.store.LatestThreads(r.Context(), c, ids, store.ListThreads)
	if err != nil {
		return nil, err
	}
	var out []byte
	for i := range chunk {
		t := &chunk[i]
		t.Threads = threads[t.ID]
		if t.Threads == nil {
			t.Threads = []store.Thread{}
		}
		b, err := json.Marshal(t)
		t.Threads = nil
		if err != nil {
			return nil, err
		}
		if !first || i > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
	}
	return out, nil
}
