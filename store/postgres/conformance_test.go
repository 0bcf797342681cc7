package postgres_test

import (
	"context"
	"testing"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/postgres/pgtest"
	"github.com/supportd/supportd/store/storetest"
)

// openDB opens a migrated store on a fresh database of its own, closed at cleanup.
func openDB(tb testing.TB) (*postgres.DB, string) {
	tb.Helper()
	url := pgtest.NewDatabase(tb)
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(db.Close)
	if err := db.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db, url
}

// TestConformance runs the shared suite. Its cases run one at a time, so they share
// one database, emptied before each case, and each gets its own store (pool) on it:
// a fresh database per case would spend most of the run in CREATE DATABASE.
func TestConformance(t *testing.T) {
	_, url := openDB(t)
	storetest.Run(t, func(t *testing.T) store.Store { return emptiedDB(t, url) })
}

// emptiedDB opens a store (pool) of the case's own on the shared database at url,
// closed at cleanup, and empties the database first.
func emptiedDB(t *testing.T, url string) *postgres.DB {
	t.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(db.Close)
	if err := db.ResetForTest(ctx); err != nil {
		t.Fatalf("reset: %v", err)
	}
	return db
}
