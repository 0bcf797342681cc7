package storetest

import (
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// Ids of the people every case starts with; missingID is never used by anything.
const (
	acmeID    store.ID = "aaaaaaaaaaaaaaaaaaaaaaa1"
	globexID  store.ID = "aaaaaaaaaaaaaaaaaaaaaaa2"
	annID     store.ID = "bbbbbbbbbbbbbbbbbbbbbbb1"
	samID     store.ID = "bbbbbbbbbbbbbbbbbbbbbbb2"
	missingID store.ID = "ffffffffffffffffffffffff"
)

// fixture is a store with two clients (acme, globex) and two support agents (ann,
// sam) remembered, and short-hand for the calls every case makes. Its methods fail the
// test on any error, so they must only be called from the test's goroutine.
type fixture struct {
	tb           testing.TB
	s            store.Store
	acme, globex store.Caller
	ann, sam     store.Caller
}

func setup(tb testing.TB, s store.Store) *fixture {
	tb.Helper()
	f := &fixture{
		tb:     tb,
		s:      s,
		acme:   store.Caller{ID: acmeID, Name: "Acme", Role: store.RoleClient},
		globex: store.Caller{ID: globexID, Name: "Globex", Role: store.RoleClient},
		ann:    store.Caller{ID: annID, Name: "Ann", Role: store.RoleSuperAdmin},
		sam:    store.Caller{ID: samID, Name: "Sam", Role: store.RoleSuperAdmin},
	}
	for _, c := range []store.Caller{f.acme, f.globex, f.ann, f.sam} {
		f.remember(c)
	}
	return f
}

func (f *fixture) remember(c store.Caller) {
	f.tb.Helper()
	if err := f.s.RememberPerson(f.tb.Context(), c); err != nil {
		f.tb.Fatalf("RememberPerson(%s): %v", c.ID, err)
	}
}

// newTicket is an insert by c of its own ticket; for a super admin use forClient.
func newTicket(c store.Caller, title string, messages ...string) store.NewTicket {
	in := store.NewTicket{Caller: c, Client: c.ID, Title: title, Category: "billing"}
	for _, m := range messages {
		in.Threads = append(in.Threads, store.NewThreadBody{Message: m})
	}
	return in
}

// forClient is an insert by a super admin for client.
func forClient(admin store.Caller, client store.ID, title string, messages ...string) store.NewTicket {
	in := newTicket(admin, title, messages...)
	in.Client = client
	return in
}

func (f *fixture) createWith(in store.NewTicket) store.Ticket {
	f.tb.Helper()
	t, _, err := f.s.CreateTicket(f.tb.Context(), in)
	if err != nil {
		f.tb.Fatalf("CreateTicket(%q by %s): %v", in.Title, in.Caller.Name, err)
	}
	checkTicketShape(f.tb, t)
	return t
}

// create inserts a ticket of client c with one thread per message (one by default).
func (f *fixture) create(c store.Caller, title string, messages ...string) store.Ticket {
	f.tb.Helper()
	if len(messages) == 0 {
		messages = []string{"first message of " + title}
	}
	return f.createWith(newTicket(c, title, messages...))
}

func (f *fixture) ticket(c store.Caller, id store.ID) store.Ticket {
	f.tb.Helper()
	t, err := f.s.Ticket(f.tb.Context(), c, id)
	if err != nil {
		f.tb.Fatalf("Ticket(%s by %s): %v", id, c.Name, err)
	}
	checkTicketShape(f.tb, t)
	return t
}

func (f *fixture) reply(c store.Caller, id store.ID, message string) store.Thread {
	f.tb.Helper()
	th, _, err := f.s.AddThread(f.tb.Context(), store.NewThread{Caller: c, TicketID: id, NewThreadBody: store.NewThreadBody{Message: message}})
	if err != nil {
		f.tb.Fatalf("AddThread(%s by %s): %v", id, c.Name, err)
	}
	checkThreadShape(f.tb, th)
	return th
}

func (f *fixture) update(c store.Caller, id store.ID, u store.TicketUpdate) store.Ticket {
	f.tb.Helper()
	t, err := f.s.UpdateTicket(f.tb.Context(), c, id, u)
	if err != nil {
		f.tb.Fatalf("UpdateTicket(%s by %s): %v", id, c.Name, err)
	}
	checkTicketShape(f.tb, t)
	return t
}

func (f *fixture) setStatus(id store.ID, s store.Status) store.Ticket {
	f.tb.Helper()
	return f.update(f.ann, id, store.TicketUpdate{Status: &s})
}

func (f *fixture) markSeen(c store.Caller, at time.Time, ids ...store.ID) {
	f.tb.Helper()
	if err := f.s.MarkSeen(f.tb.Context(), c, ids, at); err != nil {
		f.tb.Fatalf("MarkSeen(%v by %s): %v", ids, c.Name, err)
	}
}

func (f *fixture) list(c store.Caller, lf store.ListFilter) store.TicketPage {
	f.tb.Helper()
	if lf.Page == 0 {
		lf.Page = 1
	}
	if lf.Limit == 0 {
		lf.Limit = 100
	}
	if lf.Sort.Field == "" {
		lf.Sort = store.DefaultSort
	}
	p, err := f.s.ListTickets(f.tb.Context(), c, lf)
	if err != nil {
		f.tb.Fatalf("ListTickets(by %s): %v", c.Name, err)
	}
	// A page comes without threads: the api loads each ticket's latest few after.
	ids := make([]store.ID, len(p.Tickets))
	for i, t := range p.Tickets {
		if t.Threads != nil {
			f.tb.Errorf("ListTickets: ticket %s came with %d threads, want none (nil)", t.ID, len(t.Threads))
		}
		ids[i] = t.ID
	}
	threads, err := f.s.LatestThreads(f.tb.Context(), c, ids, store.ListThreads)
	if err != nil {
		f.tb.Fatalf("LatestThreads(by %s): %v", c.Name, err)
	}
	for i := range p.Tickets {
		t := &p.Tickets[i]
		t.Threads = append([]store.Thread{}, threads[t.ID]...)
		checkTicketShape(f.tb, *t)
	}
	return p
}

// counts is what c's status badges show with no filter.
func (f *fixture) counts(c store.Caller) store.Counts {
	f.tb.Helper()
	p := f.list(c, store.ListFilter{Counts: true})
	if p.Counts == nil {
		f.tb.Fatalf("ListTickets(Counts: true) by %s: got nil Counts", c.Name)
	}
	return *p.Counts
}

// countsData is what a counts event for client's tickets must carry right now.
func (f *fixture) countsData(client store.Caller) store.CountsData {
	f.tb.Helper()
	return store.CountsData{Client: f.counts(client), Global: f.counts(f.ann)}
}

func (f *fixture) sequence() []store.Event {
	f.tb.Helper()
	evs, err := f.s.SequenceEvents(f.tb.Context())
	if err != nil {
		f.tb.Fatalf("SequenceEvents: %v", err)
	}
	return evs
}

// drain sequences and forgets what happened so far, so a case can check only the
// events of the change under test.
func (f *fixture) drain() {
	f.tb.Helper()
	f.sequence()
}

func (f *fixture) lastEventID() int64 {
	f.tb.Helper()
	id, err := f.s.LastEventID(f.tb.Context())
	if err != nil {
		f.tb.Fatalf("LastEventID: %v", err)
	}
	return id
}

func (f *fixture) eventsAfter(after int64, limit int) []store.Event {
	f.tb.Helper()
	evs, err := f.s.EventsAfter(f.tb.Context(), after, limit)
	if err != nil {
		f.tb.Fatalf("EventsAfter(%d, %d): %v", after, limit, err)
	}
	return evs
}

// noEvents checks that nothing was recorded since the last drain.
func (f *fixture) noEvents() {
	f.tb.Helper()
	if evs := f.sequence(); len(evs) != 0 {
		f.tb.Errorf("SequenceEvents: got %d events (%s), want none", len(evs), eventTypes(evs))
	}
}

// pause makes the next store timestamp differ from the previous one: every time is
// kept at millisecond precision.
func pause() { time.Sleep(3 * time.Millisecond) }

func ptr[T any](v T) *T { return &v }

func set[T any](v T) store.Patch[T] { return store.Patch[T]{Set: true, Value: &v} }

func null[T any]() store.Patch[T] { return store.Patch[T]{Set: true} }
