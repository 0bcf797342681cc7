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
	if got := countRows(t, db, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`); got != 1 {
		t.Errorf("applied migrations: got %d, want 1", got)
	}
}
