package storetest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

// sameJSON compares got and want by their JSON meaning (not bytes: a database may
// store JSON with its keys reordered) and reports the difference as "got X, want Y".
func sameJSON(tb testing.TB, what string, got, want any) bool {
	tb.Helper()
	g, w := decodeAny(tb, got), decodeAny(tb, want)
	if reflect.DeepEqual(g, w) {
		return true
	}
	tb.Errorf("%s:\ngot  %s\nwant %s", what, mustJSON(tb, got), mustJSON(tb, want))
	return false
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	if raw, ok := v.([]byte); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("json.Marshal(%T): %v", v, err)
	}
	return b
}

func decodeAny(tb testing.TB, v any) any {
	tb.Helper()
	var out any
	b := mustJSON(tb, v)
	if len(b) == 0 {
		return nil
	}
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&out); err != nil {
		tb.Fatalf("json decode %s: %v", b, err)
	}
	return out
}

func checkMillis(tb testing.TB, what string, tm store.Time) {
	tb.Helper()
	if tm.IsZero() {
		tb.Errorf("%s: got the zero time, want a time", what)
		return
	}
	if ns := tm.Nanosecond() % 1e6; ns != 0 {
		tb.Errorf("%s = %v: got %dns below the millisecond, want millisecond precision", what, tm, ns)
	}
}

func checkID(tb testing.TB, what string, id store.ID) {
	tb.Helper()
	if _, err := store.ParseID(string(id)); err != nil {
		tb.Errorf("%s: %v", what, err)
	}
}

// checkTicketShape checks what every ticket a store returns must look like.
func checkTicketShape(tb testing.TB, t store.Ticket) {
	tb.Helper()
	checkID(tb, "ticket _id", t.ID)
	checkID(tb, "ticket client._id", t.Client.ID)
	if t.Number < 1001 {
		tb.Errorf("ticket %s number: got %d, want >= 1001", t.ID, t.Number)
	}
	if _, err := store.ParseStatus(string(t.Status)); err != nil {
		tb.Errorf("ticket %s: %v", t.ID, err)
	}
	if _, err := store.ParseCategory(string(t.Category)); err != nil {
		tb.Errorf("ticket %s: %v", t.ID, err)
	}
	if t.Assignee != nil {
		checkID(tb, "ticket assignee._id", t.Assignee.ID)
	}
	checkMillis(tb, "ticket createdAt", t.CreatedAt)
	checkMillis(tb, "ticket updatedAt", t.UpdatedAt)
	if t.UpdatedAt.Before(t.CreatedAt.Time) {
		tb.Errorf("ticket %s: updatedAt %v before createdAt %v", t.ID, t.UpdatedAt, t.CreatedAt)
	}
	total := 0
	if t.ThreadsTotal == nil {
		tb.Errorf("ticket %s threadsTotal: got nil, want the number of its threads", t.ID)
	} else if total = *t.ThreadsTotal; total < len(t.Threads) {
		tb.Errorf("ticket %s threadsTotal: got %d, fewer than the %d threads shown", t.ID, total, len(t.Threads))
	}
	if t.Unread == nil {
		tb.Errorf("ticket %s unread: got nil, want the caller's count", t.ID)
	} else if *t.Unread < 0 || *t.Unread > total {
		tb.Errorf("ticket %s unread: got %d, want between 0 and %d", t.ID, *t.Unread, total)
	}
	for i, th := range t.Threads {
		checkThreadShape(tb, th)
		if th.TicketID != t.ID {
			tb.Errorf("ticket %s threads[%d].supportTicket: got %s, want the ticket's id", t.ID, i, th.TicketID)
		}
		if th.Client != t.Client {
			tb.Errorf("ticket %s threads[%d].client: got %+v, want the ticket's client %+v", t.ID, i, th.Client, t.Client)
		}
		if i > 0 && th.CreatedAt.Before(t.Threads[i-1].CreatedAt.Time) {
			tb.Errorf("ticket %s threads[%d] created %v before threads[%d] (%v): want oldest first", t.ID, i, th.CreatedAt, i-1, t.Threads[i-1].CreatedAt)
		}
	}
}

func checkThreadShape(tb testing.TB, th store.Thread) {
	tb.Helper()
	checkID(tb, "thread _id", th.ID)
	checkID(tb, "thread supportTicket", th.TicketID)
	checkID(tb, "thread client._id", th.Client.ID)
	if th.SuperAdmin != nil {
		checkID(tb, "thread superAdmin._id", th.SuperAdmin.ID)
	}
	if th.Attachments == nil {
		tb.Errorf("thread %s attachments: got nil, want a list (never null)", th.ID)
	}
	checkMillis(tb, "thread createdAt", th.CreatedAt)
	checkMillis(tb, "thread updatedAt", th.UpdatedAt)
	if th.SeenAt != nil {
		checkMillis(tb, "thread seenAt", *th.SeenAt)
	}
}

// wantEvent is an expected event; data is compared by its JSON meaning.
type wantEvent struct {
	typ    store.EventType
	ticket store.ID // "" accepts any ticket (a bulk delete's counts name one of them)
	client store.ID
	data   any
}

// checkEvents checks got is exactly want, numbered from firstID on.
func checkEvents(tb testing.TB, got []store.Event, firstID int64, want ...wantEvent) {
	tb.Helper()
	if len(got) != len(want) {
		var types []string
		for _, w := range want {
			types = append(types, string(w.typ))
		}
		tb.Errorf("events: got %d (%s), want %d (%s)", len(got), eventTypes(got), len(want), strings.Join(types, ", "))
		return
	}
	for i, e := range got {
		w := want[i]
		if want := firstID + int64(i); e.ID != want {
			tb.Errorf("events[%d] (%s) id: got %d, want %d", i, e.Type, e.ID, want)
		}
		if e.Type != w.typ {
			tb.Errorf("events[%d] type: got %s, want %s", i, e.Type, w.typ)
			continue
		}
		if w.ticket != "" && e.TicketID != w.ticket {
			tb.Errorf("events[%d] (%s) ticketId: got %s, want %s", i, e.Type, e.TicketID, w.ticket)
		}
		if e.ClientID != w.client {
			tb.Errorf("events[%d] (%s) clientId: got %s, want %s", i, e.Type, e.ClientID, w.client)
		}
		checkMillis(tb, fmt.Sprintf("events[%d] (%s) at", i, e.Type), e.At)
		sameJSON(tb, fmt.Sprintf("events[%d] (%s) data", i, e.Type), e.Data, w.data)
	}
}

func eventTypes(evs []store.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, string(e.Type))
	}
	return strings.Join(s, ", ")
}

// sortRuns orders each run of same-type events by client and ticket, for changes
// whose events the contract lists as a set (a bulk delete, seen on many tickets).
func sortRuns(evs []store.Event) []store.Event {
	out := slices.Clone(evs)
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && out[j].Type == out[i].Type {
			j++
		}
		ids := make([]int64, 0, j-i)
		for _, e := range out[i:j] {
			ids = append(ids, e.ID)
		}
		slices.SortStableFunc(out[i:j], func(a, b store.Event) int {
			return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.TicketID, b.TicketID))
		})
		// The ids stay in place: only the payloads are a set.
		for k := range ids {
			out[i+k].ID = ids[k]
		}
		i = j
	}
	return out
}

// eventTicket is t as events carry it: never unread nor threadsTotal, threads only
// when asked.
func eventTicket(t store.Ticket, withThreads bool) store.Ticket {
	t.Unread, t.ThreadsTotal = nil, nil
	if !withThreads {
		t.Threads = nil
	}
	return t
}

func createdEvents(t store.Ticket, counts store.CountsData) []wantEvent {
	evs := []wantEvent{{store.EventTicketCreated, t.ID, t.Client.ID, eventTicket(t, true)}}
	for _, th := range t.Threads {
		evs = append(evs, wantEvent{store.EventThreadAdded, t.ID, t.Client.ID, th})
	}
	return append(evs, wantEvent{store.EventCounts, t.ID, t.Client.ID, counts})
}

func threadAdded(th store.Thread, client store.ID) wantEvent {
	return wantEvent{store.EventThreadAdded, th.TicketID, client, th}
}

func statusEvents(t store.Ticket, previous store.Status, counts store.CountsData) []wantEvent {
	return []wantEvent{
		{store.EventTicketStatus, t.ID, t.Client.ID, store.StatusChange{Status: t.Status, PreviousStatus: previous}},
		{store.EventCounts, t.ID, t.Client.ID, counts},
	}
}

func updatedEvent(t store.Ticket) wantEvent {
	return wantEvent{store.EventTicketUpdated, t.ID, t.Client.ID, eventTicket(t, false)}
}

func deletedEvent(t store.Ticket) wantEvent {
	return wantEvent{store.EventTicketDeleted, t.ID, t.Client.ID, store.Deleted{ID: t.ID}}
}

func countsEvent(ticket, client store.ID, counts store.CountsData) wantEvent {
	return wantEvent{store.EventCounts, ticket, client, counts}
}

func jsonDecode(raw []byte, v any) error { return json.Unmarshal(raw, v) }
