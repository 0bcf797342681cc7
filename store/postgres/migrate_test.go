package postgres

import (
	"context"
	"testing"
)

func TestMigrateTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	db, url := newTestDB(t) // migrated once
	mustCreate(t, db, newTicket(client(1), "kept"))
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	// And from another instance, as a second server starting would.
	if err := openTestDB(t, url).Migrate(ctx); err != nil {
		t.Fatalf("Migrate from another instance: %v", err)
	}
	if got := countRows(t, db, `SELECT count(*) FROM tickets`); got != 1 {
		t.Errorf("tickets after migrating again: got %d, want 1", got)
	}
	files, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, db, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`); got != int64(len(files)) {
		t.Errorf("applied migrations: got %d, want %d (one per file, once)", got, len(files))
	}
}
