package pubsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/supportd/supportd/store"
)

// wireEvent is store.Event on a Redis channel; store.Event has no JSON tags of
// its own, being a row, not a message.
type wireEvent struct {
	ID       int64           `json:"id"`
	Type     store.EventType `json:"type"`
	TicketID store.ID        `json:"ticketId"`
	ClientID store.ID        `json:"clientId"`
	At       store.Time      `json:"at"`
	Data     json.RawMessage `json:"data,omitempty"` // omitted when nil, so nil comes back nil
}

// encodeEvents writes evs as a JSON array. HTML escaping is off so that Data
// arrives byte for byte as it was recorded (a message with "<b>" stays "<b>").
func encodeEvents(evs []store.Event) ([]byte, error) {
	wire := make([]wireEvent, len(evs))
	for i, ev := range evs {
		wire[i] = wireEvent{ID: ev.ID, Type: ev.Type, TicketID: ev.TicketID, ClientID: ev.ClientID, At: ev.At, Data: ev.Data}
	}
	return marshal(wire)
}

// decodeEvents reads what encodeEvents wrote; anything else is an error, never a
// panic: the channel is shared and a stray PUBLISH must not take an instance down.
func decodeEvents(payload []byte) ([]store.Event, error) {
	var wire []wireEvent
	if err := strictUnmarshal(payload, &wire); err != nil {
		return nil, err
	}
	evs := make([]store.Event, len(wire))
	for i, w := range wire {
		if w.ID <= 0 || w.Type == "" {
			return nil, fmt.Errorf("event %d: want an id and a type", i)
		}
		evs[i] = store.Event{ID: w.ID, Type: w.Type, TicketID: w.TicketID, ClientID: w.ClientID, At: w.At, Data: w.Data}
	}
	return evs, nil
}

func encodeEphemeral(m Ephemeral) ([]byte, error) { return marshal(m) }

func decodeEphemeral(payload []byte) (Ephemeral, error) {
	var m Ephemeral
	if err := strictUnmarshal(payload, &m); err != nil {
		return Ephemeral{}, err
	}
	if m.Type == "" {
		return Ephemeral{}, errors.New("ephemeral message without a type")
	}
	return m, nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// strictUnmarshal refuses trailing data after the one JSON value.
func strictUnmarshal(payload []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}
