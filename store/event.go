package store

import (
	"encoding/json"
)

// EventType names a recorded change.
type EventType string

const (
	EventTicketCreated EventType = "ticket.created"
	EventTicketUpdated EventType = "ticket.updated"
	EventTicketStatus  EventType = "ticket.status"
	EventTicketDeleted EventType = "ticket.deleted"
	EventThreadAdded   EventType = "thread.added"
	EventThreadsSeen   EventType = "threads.seen"
	EventCounts        EventType = "counts"
)

// Event is one row of the event log, written in the same transaction as its change.
//
// ID is 0 until the event is sequenced: ids are handed out after commit, in commit
// order, so that a reader who has seen id N never later finds an event below N.
type Event struct {
	ID       int64
	Type     EventType
	TicketID ID
	ClientID ID // the ticket's client: with super admins, the audience of the event
	At       Time
	Data     json.RawMessage
}

// StatusChange is the data of a ticket.status event.
type StatusChange struct {
	Status         Status `json:"status"`
	PreviousStatus Status `json:"previousStatus"`
}

// Deleted is the data of a ticket.deleted event.
type Deleted struct {
	ID ID `json:"_id"`
}

// SeenData is the data of a threads.seen event: the threads of one ticket whose
// seenAt changed.
type SeenData struct {
	ThreadIDs []ID `json:"threadIds"`
	SeenAt    Time `json:"seenAt"`
}

// CountsData is the data of a counts event: one value for the ticket's client's
// sockets and one for super admins'. It is filled in when the event is sequenced,
// so that it reflects every change committed before it.
type CountsData struct {
	Client Counts `json:"client"`
	Global Counts `json:"global"`
}

func newEvent(typ EventType, t Ticket, at Time, data any) Event {
	var raw json.RawMessage
	if data != nil {
		// Every payload here is a plain struct of the store's own types.
		raw, _ = json.Marshal(data)
	}
	return Event{Type: typ, TicketID: t.ID, ClientID: t.Client.ID, At: at, Data: raw}
}

// forEvent strips what depends on the reader.
func forEvent(t Ticket, withThreads bool) Ticket {
	t.Unread, t.ThreadsTotal = nil, nil
	if !withThreads {
		t.Threads = nil
	}
	return t
}

// CreatedEvents are the events of an insert: the ticket, each initial thread, counts.
func CreatedEvents(t Ticket) []Event {
	evs := []Event{newEvent(EventTicketCreated, t, t.CreatedAt, forEvent(t, true))}
	for _, th := range t.Threads {
		evs = append(evs, newEvent(EventThreadAdded, t, t.CreatedAt, th))
	}
	return append(evs, newEvent(EventCounts, t, t.CreatedAt, nil))
}

// ThreadEvents are the events of a reply; previous is the status before the reply,
// different from t.Status when the reply reopened the ticket.
func ThreadEvents(t Ticket, th Thread, previous Status) []Event {
	evs := []Event{newEvent(EventThreadAdded, t, th.CreatedAt, th)}
	if previous != t.Status {
		evs = append(evs, StatusEvents(t, previous, th.CreatedAt)...)
	}
	return evs
}

// StatusEvents are the events of a status change.
func StatusEvents(t Ticket, previous Status, at Time) []Event {
	return []Event{
		newEvent(EventTicketStatus, t, at, StatusChange{Status: t.Status, PreviousStatus: previous}),
		newEvent(EventCounts, t, at, nil),
	}
}

// UpdatedEvents are the events of a PUT (or of a GitHub issue being linked).
func UpdatedEvents(t Ticket, previous Status) []Event {
	evs := []Event{newEvent(EventTicketUpdated, t, t.UpdatedAt, forEvent(t, false))}
	if previous != t.Status {
		evs = append(evs, StatusEvents(t, previous, t.UpdatedAt)...)
	}
	return evs
}

// DeletedEvents are the events of deleting tickets: one ticket.deleted each, then one
// counts event per client whose tickets went.
func DeletedEvents(ts []Ticket, at Time) []Event {
	var evs []Event
	seen := map[ID]bool{}
	var last []Ticket
	for _, t := range ts {
		evs = append(evs, newEvent(EventTicketDeleted, t, at, Deleted{ID: t.ID}))
		if !seen[t.Client.ID] {
			seen[t.Client.ID] = true
			last = append(last, t)
		}
	}
	for _, t := range last {
		evs = append(evs, newEvent(EventCounts, t, at, nil))
	}
	return evs
}

// SeenEvent is the event of marking some of one ticket's threads seen.
func SeenEvent(t Ticket, threadIDs []ID, at Time) Event {
	return newEvent(EventThreadsSeen, t, at, SeenData{ThreadIDs: threadIDs, SeenAt: at})
}
