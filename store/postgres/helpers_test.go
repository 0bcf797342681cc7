package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// newTestDB returns a migrated store on a fresh database, with client(0..9) and
// agent(0..9) remembered, and the database's URL for opening more instances on it.
func newTestDB(tb testing.TB) (*DB, string) {
	tb.Helper()
	url := pgtest.NewDatabase(tb)
	db := openTestDB(tb, url)
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	// The api remembers every caller before it writes; so do the tests.
	for i := range 10 {
		for _, c := range []store.Caller{client(i), agent(i)} {
			if err := db.RememberPerson(context.Background(), c); err != nil {
				tb.Fatalf("RememberPerson: %v", err)
			}
		}
	}
	return db, url
}

// openTestDB opens another instance on url, closed at cleanup.
func openTestDB(tb testing.TB, url string) *DB {
	tb.Helper()
	db, err := Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(db.Close)
	return db
}

func client(n int) store.Caller {
	return store.Caller{ID: store.ID(fmt.Sprintf("%024x", 0xc0000+n)), Name: fmt.Sprintf("Client %d", n), Role: store.RoleClient}
}

func agent(n int) store.Caller {
	return store.Caller{ID: store.ID(fmt.Sprintf("%024x", 0xa0000+n)), Name: fmt.Sprintf("Agent %d", n), Role: store.RoleSuperAdmin}
}

func newTicket(c store.Caller, title string) store.NewTicket {
	return store.NewTicket{
		Caller: c, Client: c.ID, Title: title, Category: "billing",
		Threads: []store.NewThreadBody{{Message: "first message of " + title}},
	}
}

// mustCreate creates a ticket or fails the test; only from the test's goroutine.
func mustCreate(tb testing.TB, db *DB, in store.NewTicket) store.Ticket {
	tb.Helper()
	t, _, err := db.CreateTicket(context.Background(), in)
	if err != nil {
		tb.Fatalf("CreateTicket(%q): %v", in.Title, err)
	}
	return t
}

func mustSequence(tb testing.TB, db *DB) []store.Event {
	tb.Helper()
	evs, err := db.SequenceEvents(context.Background())
	if err != nil {
		tb.Fatalf("SequenceEvents: %v", err)
	}
	return evs
}
