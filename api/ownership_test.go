package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// TestForeignLockedTicketAnswers404Promptly holds client A's ticket row FOR UPDATE in
// another transaction and checks that client B's requests about that id answer 404 at
// once: ownership is decided before any row of another tenant is locked or waited for.
func TestForeignLockedTicketAnswers404Promptly(t *testing.T) {
	url := pgtest.NewDatabase(t)
	db, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(db.Close)
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	e := newEnv(t, db)
	a, b := e.client(t, "A"), e.client(t, "B")
	tk := e.createTicket(t, a, "held")

	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE`, tk.ID); err != nil {
		t.Fatalf("lock: %v", err)
	}

	path := "/support-tickets/" + string(tk.ID)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"POST", path + "/thread", map[string]any{"message": "x"}},
		{"PUT", path, map[string]any{"title": "x"}},
		{"DELETE", path, nil},
		{"GET", path, nil},
		{"GET", path + "/threads", nil},
	} {
		start := time.Now()
		r := e.req(t, c.method, c.path, b.token, c.body)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s %s of a locked foreign ticket took %v, want well under a second", c.method, c.path, d)
		}
		wantStatus(t, r, http.StatusNotFound, "Support ticket not found")
	}
}
