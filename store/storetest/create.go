package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func createTests() []test {
	return []test{
		{"NumbersFrom1001", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			var prev int64
			for i, c := range []store.Caller{f.acme, f.globex, f.acme, f.acme} {
				tk := f.create(c, "numbered")
				if i == 0 && tk.Number != 1001 {
					t.Errorf("first ticket number: got %d, want 1001", tk.Number)
				}
				if i > 0 && tk.Number <= prev {
					t.Errorf("ticket %d number: got %d, want more than %d", i, tk.Number, prev)
				}
				prev = tk.Number
			}
		}},
		{"FailedCreatesTakeNoNumber", testCreateFailuresTakeNoNumber},
		{"ClientShape", testCreateClientShape},
		{"OptionalFields", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			in := newTicket(f.acme, "With extras", "hello")
			in.Subject, in.API, in.Category = ptr("Invoices"), ptr("/v1/invoices"), "integration"
			tk := f.createWith(in)
			if tk.Subject == nil || *tk.Subject != "Invoices" {
				t.Errorf("subject: got %v, want Invoices", tk.Subject)
			}
			if tk.API == nil || *tk.API != "/v1/invoices" {
				t.Errorf("api: got %v, want /v1/invoices", tk.API)
			}
			if tk.Category != "integration" {
				t.Errorf("category: got %s, want integration", tk.Category)
			}
			sameJSON(t, "Ticket() after insert", f.ticket(f.acme, tk.ID), tk)
		}},
		{"SuperAdminForClient", testCreateForClient},
		{"ClientOwnsItsTicket", testCreateClientOwnsItsTicket},
		{"UnknownClient", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			f.drain()
			_, _, err := s.CreateTicket(f.tb.Context(), forClient(f.ann, missingID, "for nobody", "hi"))
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("CreateTicket for an unknown client: got error %v, want ErrNotFound", err)
			}
			if p := f.list(f.ann, store.ListFilter{}); p.Total != 0 {
				t.Errorf("tickets after a failed insert: got %d, want 0", p.Total)
			}
			f.noEvents()
		}},
		{"Events", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Evented", "one", "two")
			checkEvents(t, f.sequence(), 1, createdEvents(tk, f.countsData(f.acme))...)
			tk2 := f.createWith(forClient(f.ann, globexID, "By support", "we noticed"))
			checkEvents(t, f.sequence(), 5, createdEvents(tk2, f.countsData(f.globex))...)
		}},
	}
}

func testCreateFailuresTakeNoNumber(t *testing.T, s store.Store) {
	f := setup(t, s)
	in := withKey(newTicket(f.acme, "Once", "hello"), "k1", "h1")
	first := f.createWith(in)
	if _, rep, err := s.CreateTicket(f.tb.Context(), in); err != nil || rep == nil {
		t.Fatalf("CreateTicket again: got replay %v, error %v, want a replay", rep, err)
	}
	if _, _, err := s.CreateTicket(f.tb.Context(), withKey(newTicket(f.acme, "Other", "hello"), "k1", "h2")); err == nil {
		t.Fatal("CreateTicket with a reused key: got no error, want a mismatch")
	}
	if _, _, err := s.CreateTicket(f.tb.Context(), forClient(f.ann, missingID, "for nobody", "hi")); err == nil {
		t.Fatal("CreateTicket for an unknown client: got no error, want ErrNotFound")
	}
	if next := f.create(f.acme, "next"); next.Number != first.Number+1 {
		t.Errorf("number after a replay, a mismatch and an unknown client: got %d, want %d", next.Number, first.Number+1)
	}
}

func testCreateClientOwnsItsTicket(t *testing.T, s store.Store) {
	f := setup(t, s)
	for _, client := range []store.ID{globexID, ""} {
		in := newTicket(f.acme, "mine")
		in.Client = client
		tk := f.createWith(in)
		if tk.Client.ID != acmeID {
			t.Errorf("client %q named on a client's insert: got owner %s, want the caller %s", client, tk.Client.ID, acmeID)
		}
		if _, err := s.Ticket(f.tb.Context(), f.globex, tk.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Ticket by globex: got error %v, want ErrNotFound", err)
		}
	}
}

func testCreateClientShape(t *testing.T, s store.Store) {
	f := setup(t, s)
	before := time.Now()
	in := newTicket(f.acme, "Cannot log in", "I forgot my password", "and my login")
	in.Threads[1].Attachments = []store.ID{"cccccccccccccccccccccc01", "cccccccccccccccccccccc02"}
	tk := f.createWith(in)
	after := time.Now()

	acme := store.Person{ID: acmeID, Name: "Acme"}
	if tk.Title != "Cannot log in" || tk.Category != "billing" || tk.Status != store.StatusPending {
		t.Errorf("title, category, status: got %q, %s, %s, want %q, billing, pending", tk.Title, tk.Category, tk.Status, "Cannot log in")
	}
	if tk.Subject != nil || tk.API != nil || tk.IssueURL != nil || tk.Assignee != nil {
		t.Errorf("subject, api, issueUrl, assignee: got %v, %v, %v, %v, want all nil", tk.Subject, tk.API, tk.IssueURL, tk.Assignee)
	}
	if tk.Client != acme {
		t.Errorf("client: got %+v, want %+v", tk.Client, acme)
	}
	if tk.Unread == nil || *tk.Unread != 0 {
		t.Errorf("unread: got %v, want 0", tk.Unread)
	}
	if !tk.UpdatedAt.Equal(tk.CreatedAt.Time) {
		t.Errorf("updatedAt: got %v, want createdAt %v", tk.UpdatedAt, tk.CreatedAt)
	}
	// A generous window: the store's clock may be a database's.
	if tk.CreatedAt.Before(before.Add(-5*time.Second)) || tk.CreatedAt.After(after.Add(5*time.Second)) {
		t.Errorf("createdAt: got %v, want about %v", tk.CreatedAt, before)
	}
	if len(tk.Threads) != 2 {
		t.Fatalf("threads: got %d, want 2", len(tk.Threads))
	}
	for i, th := range tk.Threads {
		if th.Message != in.Threads[i].Message {
			t.Errorf("threads[%d].message: got %q, want %q", i, th.Message, in.Threads[i].Message)
		}
		if th.SuperAdmin != nil || th.SeenAt != nil {
			t.Errorf("threads[%d] superAdmin, seenAt: got %v, %v, want nil, nil", i, th.SuperAdmin, th.SeenAt)
		}
		if !th.CreatedAt.Equal(tk.CreatedAt.Time) || !th.UpdatedAt.Equal(tk.CreatedAt.Time) {
			t.Errorf("threads[%d] createdAt, updatedAt: got %v, %v, want the ticket's createdAt %v", i, th.CreatedAt, th.UpdatedAt, tk.CreatedAt)
		}
	}
	if len(tk.Threads[0].Attachments) != 0 {
		t.Errorf("threads[0].attachments: got %v, want []", tk.Threads[0].Attachments)
	}
	if !slices.Equal(tk.Threads[1].Attachments, in.Threads[1].Attachments) {
		t.Errorf("threads[1].attachments: got %v, want %v", tk.Threads[1].Attachments, in.Threads[1].Attachments)
	}
	if tk.Threads[0].ID == tk.Threads[1].ID {
		t.Errorf("thread ids: got %s twice, want distinct", tk.Threads[0].ID)
	}
	sameJSON(t, "Ticket() after insert", f.ticket(f.acme, tk.ID), tk)
}

func testCreateForClient(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.createWith(forClient(f.ann, acmeID, "We saw an outage", "your sync failed", "details follow"))
	acme, ann := store.Person{ID: acmeID, Name: "Acme"}, store.Person{ID: annID, Name: "Ann"}
	if tk.Client != acme {
		t.Errorf("client: got %+v, want %+v", tk.Client, acme)
	}
	if tk.Unread == nil || *tk.Unread != 0 {
		t.Errorf("unread for the super admin: got %v, want 0", tk.Unread)
	}
	for i, th := range tk.Threads {
		if th.SuperAdmin == nil || *th.SuperAdmin != ann {
			t.Errorf("threads[%d].superAdmin: got %v, want %+v", i, th.SuperAdmin, ann)
		}
		if th.Client != acme {
			t.Errorf("threads[%d].client: got %+v, want the owner %+v", i, th.Client, acme)
		}
	}
	byClient := f.ticket(f.acme, tk.ID)
	if byClient.Unread == nil || *byClient.Unread != 2 {
		t.Errorf("unread for the client: got %v, want 2", byClient.Unread)
	}
	if _, err := s.Ticket(f.tb.Context(), f.globex, tk.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Ticket by another client: got error %v, want ErrNotFound", err)
	}
	sameJSON(t, "Ticket() by the other super admin", f.ticket(f.sam, tk.ID), tk)
}
