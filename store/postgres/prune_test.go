package postgres

import (
	"context"
	"testing"
	"time"
)

// PruneEvents deletes in chunks; across them it still deletes only the run of old
// events at the start of the log, and stops at the first kept one.
func TestPruneEventsInChunksDeletesOnlyTheOldRunAtTheStart(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	db.pruneChunk = 2
	for range 3 {
		mustCreate(t, db, newTicket(client(1), "three events each"))
	}
	if evs := mustSequence(t, db); len(evs) != 9 {
		t.Fatalf("sequenced %d events, want 9", len(evs))
	}
	// Ids 1-5 old, 6 recent, 7-9 old again (a writer whose clock was behind).
	cut := time.Now()
	if _, err := db.pool.Exec(ctx, `UPDATE events SET at = CASE WHEN id = 6 THEN $1::timestamptz + interval '1 hour' ELSE $1::timestamptz - interval '1 hour' END`, cut); err != nil {
		t.Fatal(err)
	}
	ids := func() []int64 {
		t.Helper()
		rows, err := db.pool.Query(ctx, `SELECT id FROM events ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			out = append(out, id)
		}
		return out
	}

	n, err := db.PruneEvents(ctx, cut)
	if err != nil || n != 5 {
		t.Fatalf("PruneEvents(cut): %d, %v; want 5 deleted in chunks of 2", n, err)
	}
	if got := ids(); len(got) != 4 || got[0] != 6 || got[3] != 9 {
		t.Fatalf("after pruning the old run, the log holds %v, want 6-9", got)
	}
	n, err = db.PruneEvents(ctx, cut.Add(2*time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("PruneEvents(everything): %d, %v; want 4", n, err)
	}
	if got := ids(); len(got) != 0 {
		t.Fatalf("after pruning everything, the log holds %v", got)
	}
}

// A pruning cut short keeps what its finished chunks deleted, and says how much.
func TestPruneEventsCutShortKeepsWhatItDeleted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, _ := newTestDB(t)
	db.pruneChunk = 1
	chunks := 0
	db.hooks.prunedChunk = func() {
		if chunks++; chunks == 2 {
			cancel()
		}
	}
	mustCreate(t, db, newTicket(client(1), "three events"))
	mustSequence(t, db)
	n, err := db.PruneEvents(ctx, time.Now().Add(time.Hour))
	if err == nil || n != 2 {
		t.Fatalf("PruneEvents cancelled after two chunks: %d, %v; want 2 and an error", n, err)
	}
	var left int64
	if err := db.pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&left); err != nil || left != 1 {
		t.Fatalf("events left: %d, %v; want 1", left, err)
	}
}
