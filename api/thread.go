package api

import (
	"net/http"

	"github.com/supportd/supportd/store"
)

func (s *Server) addThread(w http.ResponseWriter, r *http.Request, id store.ID) error {
	idem, body, err := s.readIdempotent(w, r)
	if err != nil {
		return err
	}
	o, err := parseObject(body)
	if err != nil {
		return err
	}
	tb, err := parseThreadBody(o, "")
	if err != nil {
		return err
	}
	th, rep, err := s.svc.Reply(r.Context(), store.NewThread{Caller: caller(r), TicketID: id, NewThreadBody: tb, Idem: idem})
	if err != nil {
		return err
	}
	if rep != nil {
		writeReplay(w, rep)
		return nil
	}
	writeJSON(w, http.StatusCreated, dataResponse{Data: th})
	return nil
}

func (s *Server) markSeen(w http.ResponseWriter, r *http.Request) error {
	list, err := readIDs(w, r, "threadIds")
	if err != nil {
		return err
	}
	if err := s.allowMore(w, caller(r).ID, store.SeenCost(len(list))-1); err != nil {
		return err
	}
	if err := s.svc.MarkSeen(r.Context(), caller(r), list); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, done())
	return nil
}
