package api

import (
	"errors"
	"net/http"

	"github.com/supportd/supportd/store"
)

// ticketHandler serves a /support-tickets/{id} route, given the parsed id.
type ticketHandler func(w http.ResponseWriter, r *http.Request, id store.ID) error

// ticketRoute owns the contract's order of checks on /support-tickets/{id} routes: a
// malformed id, or a ticket that is not the caller's to see, answers 404 before any
// 403, 400 or 413 the handler found in the request. The handler simply returns its
// first error; only such an answer costs the extra look-up.
func (s *Server) ticketRoute(h ticketHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		err = h(w, r, id)
		if !answersAfterNotFound(err) {
			return err
		}
		if _, verr := s.store.TicketClient(r.Context(), caller(r), id); verr != nil {
			return mapStoreErr(verr)
		}
		return err
	}
}

// answersAfterNotFound reports whether err is an answer the contract puts after 404.
func answersAfterNotFound(err error) bool {
	var e *store.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case store.CodeForbidden, store.CodeBadRequest, store.CodePayloadTooLarge:
		return true
	}
	return false
}
