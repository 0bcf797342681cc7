package memory

import (
	"encoding/json"

	"github.com/supportd/supportd/store"
)

// Counts are kept as tickets change, per client and overall, so that each counts
// event costs nothing to fill in.

// count adds n tickets of status st to client's counts and the global ones.
func (s *Store) count(client store.ID, st store.Status, n int64) {
	c := s.counts[client]
	c.Add(st, n)
	if c.All == 0 {
		delete(s.counts, client)
	} else {
		s.counts[client] = c
	}
	s.global.Add(st, n)
}

// moved counts a ticket of client as having gone from one status to another.
func (s *Store) moved(client store.ID, from, to store.Status) {
	s.count(client, from, -1)
	s.count(client, to, 1)
}

// setStatus changes t's status and its counts.
func (s *Store) setStatus(t *store.Ticket, st store.Status) {
	s.moved(t.Client.ID, t.Status, st)
	t.Status = st
}

// countsData is the data of a counts event about client's tickets, as of now.
func (s *Store) countsData(client store.ID) json.RawMessage {
	// A struct of integers always marshals.
	raw, _ := json.Marshal(store.CountsData{Client: s.counts[client], Global: s.global})
	return raw
}
