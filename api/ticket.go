package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/supportd/supportd/store"
)

// caller is set by the authenticate middleware on every route that uses it.
func caller(r *http.Request) store.Caller {
	c, _ := CallerFrom(r.Context())
	return c
}

// pathID reads {id}; a malformed id is a ticket that does not exist.
func pathID(r *http.Request) (store.ID, error) {
	id, err := store.ParseID(chi.URLParam(r, "id"))
	if err != nil {
		return "", notFound()
	}
	return id, nil
}

// setLastEventID stamps a snapshot with the newest event already reflected in it. It
// is read before the snapshot, so anything newer has a higher id and is replayed by a
// socket that resumes from this value.
func (s *Server) setLastEventID(w http.ResponseWriter, r *http.Request) error {
	last, err := s.store.LastEventID(r.Context())
	if err != nil {
		return err
	}
	w.Header().Set("X-Last-Event-Id", strconv.FormatInt(last, 10))
	return nil
}

type listResponse struct {
	Data   []store.Ticket `json:"data"`
	Limit  int            `json:"limit"`
	Page   int            `json:"page"`
	Pages  int64          `json:"pages"`
	Total  int64          `json:"total"`
	Counts *store.Counts  `json:"counts,omitempty"`
}

func (s *Server) listTickets(w http.ResponseWriter, r *http.Request) error {
	c := caller(r)
	f, err := parseList(r.URL.Query(), c)
	if err != nil {
		return err
	}
	take := s.readSlot
	if len(f.Words) == 0 && f.Limit <= defaultLimit {
		take = s.pageSlot
	}
	release, err := take(w, c)
	if err != nil {
		return err
	}
	defer release()
	if err := s.setLastEventID(w, r); err != nil {
		return err
	}
	page, err := s.store.ListTickets(r.Context(), c, f)
	if errors.Is(err, store.ErrSearchTooSlow) {
		return badRequest("%s", searchTooSlow)
	}
	if err != nil {
		return err
	}
	if len(page.Tickets) == 0 {
		e := store.Errorf(store.CodeNotFound, "No support tickets found")
		e.Counts = page.Counts
		return e
	}
	pages := (page.Total + int64(f.Limit) - 1) / int64(f.Limit)
	return s.writeList(w, r, c, page.Tickets, listResponse{
		Limit: f.Limit, Page: f.Page, Pages: pages, Total: page.Total, Counts: page.Counts,
	})
}

type dataResponse struct {
	Data any `json:"data"`
}

func (s *Server) getTicket(w http.ResponseWriter, r *http.Request, id store.ID) error {
	if err := s.setLastEventID(w, r); err != nil {
		return err
	}
	t, err := s.store.Ticket(r.Context(), caller(r), id)
	if err != nil {
		return mapStoreErr(err)
	}
	writeJSON(w, http.StatusOK, dataResponse{Data: t})
	return nil
}

func (s *Server) insertTicket(w http.ResponseWriter, r *http.Request) error {
	idem, body, err := s.readIdempotent(w, r)
	if err != nil {
		return err
	}
	o, err := parseObject(body)
	if err != nil {
		return err
	}
	nt, err := parseInsert(o, caller(r))
	if err != nil {
		return err
	}
	nt.Idem = idem
	t, rep, err := s.svc.CreateTicket(r.Context(), nt)
	if err != nil {
		return err
	}
	if rep != nil {
		writeReplay(w, rep)
		return nil
	}
	writeJSON(w, http.StatusCreated, dataResponse{Data: t})
	return nil
}

func (s *Server) updateTicket(w http.ResponseWriter, r *http.Request, id store.ID) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	c := caller(r)
	if !c.IsSuperAdmin() && (o.given("assignee") || o.given("issueUrl")) {
		return store.Errorf(store.CodeForbidden, "Only support agents may set assignee or issueUrl")
	}
	u, err := parseUpdate(o)
	if err != nil {
		return err
	}
	if err := s.svc.Update(r.Context(), c, id, u); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, done())
	return nil
}

func (s *Server) deleteTicket(w http.ResponseWriter, r *http.Request, id store.ID) error {
	n, err := s.svc.Delete(r.Context(), caller(r), []store.ID{id})
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound()
	}
	writeJSON(w, http.StatusOK, done())
	return nil
}

func (s *Server) bulkDelete(w http.ResponseWriter, r *http.Request) error {
	list, err := readIDs(w, r, "ids")
	if err != nil {
		return err
	}
	n, err := s.svc.Delete(r.Context(), caller(r), list)
	if err != nil {
		return err
	}
	res := done()
	res.Deleted = &n
	writeJSON(w, http.StatusOK, res)
	return nil
}
