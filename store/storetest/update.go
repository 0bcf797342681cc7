package storetest

import (
	"errors"
	"testing"

	"github.com/supportd/supportd/store"
)

func updateTests() []test {
	return []test{
		{"Fields", testUpdateFields},
		{"NotFound", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Acme's")
			f.drain()
			title := "stolen"
			for _, tc := range []struct {
				caller store.Caller
				id     store.ID
			}{{f.globex, tk.ID}, {f.acme, missingID}, {f.ann, missingID}} {
				_, err := s.UpdateTicket(t.Context(), tc.caller, tc.id, store.TicketUpdate{Title: &title})
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("UpdateTicket(%s by %s): got error %v, want ErrNotFound", tc.id, tc.caller.Name, err)
				}
			}
			sameJSON(t, "ticket after failed updates", f.ticket(f.acme, tk.ID), tk)
			f.noEvents()
		}},
	}
}

func testUpdateFields(t *testing.T, s store.Store) {
	f := setup(t, s)
	progress, pending, resolved := store.StatusProgress, store.StatusPending, store.StatusResolved
	category := store.Category("smartAccess")
	ann, sam := &store.Person{ID: annID, Name: "Ann"}, &store.Person{ID: samID, Name: "Sam"}
	tests := []struct {
		name   string
		by     store.Caller
		prep   store.TicketUpdate // applied before the update under test
		update store.TicketUpdate
		want   func(*store.Ticket) // what the update changes, updatedAt aside
	}{
		{"title by the client", f.acme, store.TicketUpdate{}, store.TicketUpdate{Title: ptr("new title")},
			func(t *store.Ticket) { t.Title = "new title" }},
		{"category", f.ann, store.TicketUpdate{}, store.TicketUpdate{Category: &category},
			func(t *store.Ticket) { t.Category = category }},
		{"status", f.ann, store.TicketUpdate{}, store.TicketUpdate{Status: &progress},
			func(t *store.Ticket) { t.Status = progress }},
		{"status unchanged", f.ann, store.TicketUpdate{}, store.TicketUpdate{Status: &pending},
			func(t *store.Ticket) {}},
		{"status by the client", f.acme, store.TicketUpdate{}, store.TicketUpdate{Status: &resolved},
			func(t *store.Ticket) { t.Status = resolved }},
		{"subject", f.acme, store.TicketUpdate{}, store.TicketUpdate{Subject: set("new subject")},
			func(t *store.Ticket) { t.Subject = ptr("new subject") }},
		{"subject to null", f.acme, store.TicketUpdate{}, store.TicketUpdate{Subject: null[string]()},
			func(t *store.Ticket) { t.Subject = nil }},
		{"api", f.ann, store.TicketUpdate{}, store.TicketUpdate{API: set("/v2")},
			func(t *store.Ticket) { t.API = ptr("/v2") }},
		{"api to null", f.ann, store.TicketUpdate{}, store.TicketUpdate{API: null[string]()},
			func(t *store.Ticket) { t.API = nil }},
		{"assignee", f.ann, store.TicketUpdate{}, store.TicketUpdate{Assignee: set(annID)},
			func(t *store.Ticket) { t.Assignee = ann }},
		{"assignee changed", f.ann, store.TicketUpdate{Assignee: set(annID)}, store.TicketUpdate{Assignee: set(samID)},
			func(t *store.Ticket) { t.Assignee = sam }},
		{"assignee to null", f.ann, store.TicketUpdate{Assignee: set(samID)}, store.TicketUpdate{Assignee: null[store.ID]()},
			func(t *store.Ticket) { t.Assignee = nil }},
		{"issueUrl", f.ann, store.TicketUpdate{}, store.TicketUpdate{IssueURL: set("https://example.com/i/1")},
			func(t *store.Ticket) { t.IssueURL = ptr("https://example.com/i/1") }},
		{"issueUrl to null", f.ann, store.TicketUpdate{IssueURL: set("https://example.com/i/1")}, store.TicketUpdate{IssueURL: null[string]()},
			func(t *store.Ticket) { t.IssueURL = nil }},
		{"several", f.sam, store.TicketUpdate{}, store.TicketUpdate{Title: ptr("t2"), Status: &resolved, Assignee: set(samID), API: null[string]()},
			func(t *store.Ticket) { t.Title, t.Status, t.Assignee, t.API = "t2", resolved, sam, nil }},
	}
	for _, tc := range tests {
		in := newTicket(f.acme, "Update "+tc.name, "hello")
		in.Subject, in.API = ptr("subject"), ptr("/v1")
		tk := f.createWith(in)
		if !tc.prep.Empty() {
			f.update(f.ann, tk.ID, tc.prep)
		}
		before := f.ticket(tc.by, tk.ID)
		f.drain()
		first := f.lastEventID() + 1
		pause()

		got := f.update(tc.by, tk.ID, tc.update)
		if !got.UpdatedAt.After(before.UpdatedAt.Time) {
			t.Errorf("%s: updatedAt got %v, want after %v", tc.name, got.UpdatedAt, before.UpdatedAt)
		}
		want := before
		tc.want(&want)
		want.UpdatedAt = got.UpdatedAt
		sameJSON(t, tc.name+": returned ticket", got, want)
		sameJSON(t, tc.name+": Ticket() after", f.ticket(tc.by, tk.ID), got)

		evs := []wantEvent{updatedEvent(got)}
		if got.Status != before.Status {
			evs = append(evs, statusEvents(got, before.Status, f.countsData(f.acme))...)
		}
		checkEvents(t, f.sequence(), first, evs...)
	}
}
