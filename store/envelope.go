package store

import (
	"encoding/json"
	"strconv"
)

// envelope is a recorded event as sockets, webhooks and the events feed carry it.
type envelope struct {
	Type     EventType       `json:"type"`
	ID       string          `json:"id"`
	TicketID ID              `json:"ticketId"`
	At       Time            `json:"at"`
	Data     json.RawMessage `json:"data"`
}

// Envelope returns the JSON of ev for a reader: {type, id, ticketId, at, data}, the
// same bytes a socket gets. Counts events carry the global counts for super admins
// and the client's own for a client.
func Envelope(ev Event, superAdmin bool) ([]byte, error) {
	m := envelope{Type: ev.Type, ID: strconv.FormatInt(ev.ID, 10), TicketID: ev.TicketID, At: ev.At, Data: ev.Data}
	if ev.Type == EventCounts {
		var c CountsData
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return nil, err
		}
		v := c.Client
		if superAdmin {
			v = c.Global
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		m.Data = raw
	}
	if m.Data == nil {
		m.Data = json.RawMessage("{}")
	}
	return json.Marshal(m)
}
