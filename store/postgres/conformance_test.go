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
	ctx := context.Background()
	db, err := postgres.Open(ctx, url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(db.Close)
	if err := db.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db, url
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, _ := openDB(t)
		return db
	})
}
