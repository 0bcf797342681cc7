package api

import (
	"net/http"

	"github.com/supportd/supportd/store"
)

func (s *Server) addThread(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c := caller(r)
	idem, body, err := s.readIdempotent(w, r)
	if err != nil {
		return s.svc.firstVisible(r.Context(), c, id, err)
	}
	o, err := parseObject(body)
	var tb store.NewThreadBody
	if err == nil {
		tb, err = parseThreadBody(o, "")
	}
	if err != nil {
		return s.svc.firstVisible(r.Context(), c, id, err)
	}
	th, err := s.svc.Reply(r.Context(), store.NewThread{Caller: c, TicketID: id, NewThreadBody: tb, Idem: idem})
	if replayed(w, err) {
		return nil
	}
	if err != nil {
		return err
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
