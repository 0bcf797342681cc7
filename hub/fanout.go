package hub

import (
	"encoding/json"
	"time"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

// deliver fans a run of consecutive events out to the sockets in scope and moves
// the cursor past them. Encoding happens before the lock; under it, each socket gets
// one non-blocking send of its frames (a full queue cuts that socket, never waits).
func (h *Hub) deliver(evs []store.Event) {
	if len(evs) == 0 {
		return
	}
	enc := make([]frames, len(evs))
	for i, ev := range evs {
		enc[i] = encodeEvent(ev)
	}
	// Frames per audience are built once and shared (read-only) by every socket
	// whose floor is below the run; only sockets still finishing a replay need their
	// own selection.
	first := evs[0].ID
	admin := make([][]byte, len(enc))
	byClient := map[store.ID][][]byte{}
	for i, f := range enc {
		admin[i] = f.admin
		byClient[f.ev.ClientID] = append(byClient[f.ev.ClientID], f.client)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.admins {
		if s.floor < first {
			s.send(admin)
		} else {
			s.send(pick(enc, s))
		}
	}
	for client, frames := range byClient {
		for s := range h.clients[client] {
			if s.floor < first {
				s.send(frames)
			} else {
				s.send(pick(enc, s))
			}
		}
	}
	h.cursor = evs[len(evs)-1].ID
	h.metrics.events.Add(float64(len(evs)))
}

// pick selects the frames of enc that s should get: in its scope and past its floor
// (the last event its replay already sent).
func pick(enc []frames, s *socket) [][]byte {
	var out [][]byte
	for _, f := range enc {
		if f.ev.ID <= s.floor {
			continue
		}
		if b := f.forCaller(s.caller); b != nil {
			out = append(out, b)
		}
	}
	return out
}

// typingData is the data of a typing message.
type typingData struct {
	User store.Person `json:"user"`
	Role store.Role   `json:"role"`
}

// fanOutTyping relays a typing message to the sockets in the ticket's scope, except
// the sender's own.
func (h *Hub) fanOutTyping(m pubsub.Ephemeral) {
	at := store.At(time.Now())
	b := encode(message{Type: "typing", TicketID: m.TicketID, At: &at, Data: m.Data})
	frame := [][]byte{b}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.admins {
		if s.caller.ID != m.From {
			s.send(frame)
		}
	}
	for s := range h.clients[m.ClientID] {
		if s.caller.ID != m.From {
			s.send(frame)
		}
	}
}

func typingMessage(c store.Caller, ticketID, clientID store.ID, instance string) pubsub.Ephemeral {
	data, _ := json.Marshal(typingData{User: store.Person{ID: c.ID, Name: c.Name}, Role: c.Role})
	return pubsub.Ephemeral{Type: "typing", TicketID: ticketID, ClientID: clientID, From: c.ID, Data: data, Instance: instance}
}
