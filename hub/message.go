package hub

import (
	"encoding/json"
	"strconv"

	"github.com/supportd/supportd/store"
)

// message is one server → client frame of the contract.
type message struct {
	Type     string          `json:"type"`
	ID       string          `json:"id,omitempty"`
	TicketID store.ID        `json:"ticketId,omitempty"`
	At       *store.Time     `json:"at,omitempty"`
	Data     json.RawMessage `json:"data"`
}

func encode(m message) []byte {
	if m.Data == nil {
		m.Data = json.RawMessage("{}")
	}
	// Every field is a string, a time or raw JSON that was valid when stored.
	b, _ := json.Marshal(m)
	return b
}

func control(typ string, data any) []byte {
	raw, _ := json.Marshal(data)
	return encode(message{Type: typ, Data: raw})
}

func errorFrame(code, msg string) []byte {
	return control("error", map[string]string{"code": code, "message": msg})
}

// frames is an event encoded once per audience: what a client's socket gets and
// what a super admin's gets. They differ only for counts.
type frames struct {
	ev     store.Event
	client []byte
	admin  []byte
}

func encodeEvent(ev store.Event) frames {
	at := ev.At
	m := message{Type: string(ev.Type), ID: strconv.FormatInt(ev.ID, 10), TicketID: ev.TicketID, At: &at, Data: ev.Data}
	if ev.Type != store.EventCounts {
		b := encode(m)
		return frames{ev: ev, client: b, admin: b}
	}
	var c store.CountsData
	_ = json.Unmarshal(ev.Data, &c)
	m.Data, _ = json.Marshal(c.Client)
	client := encode(m)
	m.Data, _ = json.Marshal(c.Global)
	return frames{ev: ev, client: client, admin: encode(m)}
}

// for returns the frame for a socket of c, or nil when the event is not in its scope.
func (f frames) forCaller(c store.Caller) []byte {
	if c.IsSuperAdmin() {
		return f.admin
	}
	if f.ev.ClientID == c.ID {
		return f.client
	}
	return nil
}
