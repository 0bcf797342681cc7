package postgres

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// breakAtCommit makes db's next write switch l to mode just before its COMMIT
// is sent (its other statements are sent and not committed).
func breakAtCommit(db *DB, l *link, mode linkMode) {
	var once atomic.Bool
	db.hooks.beforeCommit = func(context.Context) error {
		if once.CompareAndSwap(false, true) {
			l.set(mode)
		}
		return nil
	}
}

// countTickets counts the tickets titled title, through a connection of its own.
func countTickets(t *testing.T, db *DB, title string) int {
	t.Helper()
	var n int
	if err := db.QueryRowForTest(t.Context(), `SELECT count(*) FROM tickets WHERE title = $1`, title).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriteCutBeforeCommitStoresNothing(t *testing.T) {
	db, url := newTestDB(t)
	linked, l := openLinked(t, url, Options{Timeout: testTimeout})
	breakAtCommit(linked, l, linkCut)
	in := newTicket(client(1), "cut before commit")
	in.Idem = &store.Idempotency{Key: "cut-1", Hash: "h"}

	start := time.Now()
	_, _, err := linked.CreateTicket(t.Context(), in)
	wantUnavailable(t, "create cut before COMMIT", err, time.Since(start))
	if n := countTickets(t, db, in.Title); n != 0 {
		t.Fatalf("after the cut: %d tickets stored, want 0", n)
	}

	l.set(linkPass)
	first, _, err := linked.CreateTicket(t.Context(), in)
	if err != nil {
		t.Fatalf("retry with the same key: %v", err)
	}
	_, replay, err := linked.CreateTicket(t.Context(), in)
	if err != nil || replay == nil || !json.Valid(replay.Body) {
		t.Fatalf("second retry: got %v, want a replay of the first", err)
	}
	if n := countTickets(t, db, in.Title); n != 1 {
		t.Fatalf("after the retries: %d tickets stored, want 1 (%s)", n, first.ID)
	}
}

func TestWriteAnswerLostAfterCommitReplays(t *testing.T) {
	db, url := newTestDB(t)
	// One connection, warmed up by a first create: pgx prepares a statement it has
	// not seen in a round trip of its own, and the answer to lose is the COMMIT's.
	linked, l := openLinked(t, oneConn(t, url), Options{Timeout: testTimeout})
	mustCreate(t, linked, newTicket(client(2), "warm-up"))
	breakAtCommit(linked, l, linkLoseAnswer)
	in := newTicket(client(2), "answer lost")
	in.Idem = &store.Idempotency{Key: "lost-1", Hash: "h"}

	start := time.Now()
	_, _, err := linked.CreateTicket(t.Context(), in)
	wantUnavailable(t, "create whose COMMIT answer was lost", err, time.Since(start))
	// The COMMIT reached the server: it lands whole.
	for deadline := time.Now().Add(5 * time.Second); countTickets(t, db, in.Title) != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the committed ticket never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stored store.ID
	if err := db.QueryRowForTest(t.Context(), `SELECT id FROM tickets WHERE title = $1`, in.Title).Scan(&stored); err != nil {
		t.Fatal(err)
	}

	l.set(linkPass)
	_, replay, err := linked.CreateTicket(t.Context(), in)
	if err != nil || replay == nil {
		t.Fatalf("retry with the same key: got %v, want a replay", err)
	}
	var body store.Ticket
	if err := json.Unmarshal(replay.Body, &body); err != nil || body.ID != stored {
		t.Fatalf("replayed %s (%v), want the stored ticket %s", replay.Body, err, stored)
	}
	if n := countTickets(t, db, in.Title); n != 1 {
		t.Fatalf("after the retry: %d tickets stored, want 1", n)
	}
}

func TestVanishedLockHolderIsClearedByServer(t *testing.T) {
	db, url := newTestDB(t)
	tk := mustCreate(t, db, newTicket(client(3), "contended"))
	linked, l := openLinked(t, url, Options{Timeout: testTimeout})
	breakAtCommit(linked, l, linkVanish)

	lost := "lost with its client"
	start := time.Now()
	_, err := linked.UpdateTicket(t.Context(), agent(0), tk.ID, store.TicketUpdate{Title: &lost})
	wantUnavailable(t, "update whose client vanished before COMMIT", err, time.Since(start))

	// The vanished session still holds the ticket's row: the server's
	// idle_in_transaction_session_timeout (1 s here) must end it.
	title := "after the holder went"
	start = time.Now()
	got, err := db.UpdateTicket(t.Context(), agent(1), tk.ID, store.TicketUpdate{Title: &title})
	took := time.Since(start)
	t.Logf("update behind the vanished holder: %v after %v", err, took.Round(time.Millisecond))
	if err != nil || got.Title != title {
		t.Fatalf("update behind the vanished holder: %v", err)
	}
	if took > 3*time.Second {
		t.Fatalf("waited %v for the vanished holder's lock, want under 3s", took)
	}
	if n := countTickets(t, db, lost); n != 0 {
		t.Fatalf("the vanished update was stored (%d)", n)
	}
}
