package hub

import (
	"encoding/json"
	"strconv"

	"github.com/supportd/supportd/store"
)

// message is one server → client message of the contract.
type message struct {
	Type     string          `json:"type"`
	ID       string          `json:"id,omitempty"`
	TicketID store.ID        `json:"ticketId,omitempty"`
	At       *store.Time     `json:"at,omitempty"`
	Data     json.RawMessage `json:"data"`
}

// encode returns m as a complete WebSocket frame, ready for the wire (see
// textFrame): every function here that produces a message returns one.
func encode(m message) []byte {
	if m.Data == nil {
		m.Data = json.RawMessage("{}")
	}
	// Every field is a string, a time or raw JSON that was valid when stored.
	b, _ := json.Marshal(m)
	return textFrame(b)
}

// envelope is message without its data: encodeLists writes the data itself.
type envelope struct {
	Type     string      `json:"type"`
	ID       string      `json:"id,omitempty"`
	TicketID store.ID    `json:"ticketId,omitempty"`
	At       *store.Time `json:"at,omitempty"`
}

// encodeLists is the frame of {"type":typ,"data":{"name":[item,…],…}} whose items
// are values json.Marshal encoded (each person's stored JSON): the same bytes as
// encode(message{Type: typ, Data: jsonLists(lists…)}), built in one allocation of
// the exact size, and without json.Marshal's scan of the data to compact it
// (already compact): with 5,000 agents online that scan of every presence frame
// was half of the server's CPU in a connect wave. (The snapshot is not built here
// any more: see onlineList.)
func encodeLists(typ string, lists ...namedList) []byte {
	head, _ := json.Marshal(envelope{Type: typ})
	head = head[:len(head)-1] // without its closing brace
	const dataKey = `,"data":{`
	n := len(head) + len(dataKey) + 2
	for i, l := range lists {
		n += len(l.name) + len(`"":[]`) + min(i, 1)
		for j, item := range l.items {
			n += len(item) + min(j, 1)
		}
	}
	b := frameHeader(n)
	b = append(b, head...)
	b = append(b, dataKey...)
	for i, l := range lists {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, l.name...)
		b = append(b, `":[`...)
		for j, item := range l.items {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, item...)
		}
		b = append(b, ']')
	}
	return append(b, '}', '}')
}

func control(typ string, data any) []byte {
	raw, _ := json.Marshal(data)
	return encode(message{Type: typ, Data: raw})
}

func errorFrame(code store.Code, msg string) []byte {
	return control("error", store.Error{Code: code, Message: msg})
}

// frames is an event encoded (and framed) once per audience: what a client's
// socket gets and what a super admin's gets. They differ only for counts.
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

// forCaller returns the frame for a socket of c, or nil when the event is not in its scope.
func (f frames) forCaller(c store.Caller) []byte {
	if c.IsSuperAdmin() {
		return f.admin
	}
	if f.ev.ClientID == c.ID {
		return f.client
	}
	return nil
}
