package api

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/supportd/supportd/store"
)

// defaultThreadLimit is a thread page's size when the query names none.
const defaultThreadLimit = 50

type threadPageResponse struct {
	Data    []store.Thread `json:"data"`
	HasMore bool           `json:"hasMore"`
}

// listThreads pages a ticket's conversation backwards from before (or its end).
func (s *Server) listThreads(w http.ResponseWriter, r *http.Request, id store.ID) error {
	c := caller(r)
	before, limit, err := parseThreadPage(r.URL.Query())
	if err != nil {
		return err
	}
	release, err := s.readSlot(w, c)
	if err != nil {
		return err
	}
	defer release()
	page, err := s.store.Threads(r.Context(), c, id, before, limit)
	if errors.Is(err, store.ErrNotThread) {
		return badRequest("before must be a thread of this ticket")
	}
	if err != nil {
		return mapStoreErr(err)
	}
	writeJSON(w, http.StatusOK, threadPageResponse{Data: page.Threads, HasMore: page.HasMore})
	return nil
}

// parseThreadPage reads before (a thread id) and limit (1..maxLimit, default 50).
func parseThreadPage(q url.Values) (*store.ID, int, error) {
	limit := defaultThreadLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return nil, 0, badRequest("limit must be an integer from 1 to %d", maxLimit)
		}
		limit = n
	}
	if !q.Has("before") {
		return nil, limit, nil
	}
	before, err := store.ParseID(q.Get("before"))
	if err != nil {
		return nil, 0, badRequest("before must be a thread of this ticket")
	}
	return &before, limit, nil
}
