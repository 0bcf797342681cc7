package postgres_test

import (
	"context"
	"testing"

	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/storetest"
)

// TestWebhookConformance shares one database between the cases, emptied before each.
func TestWebhookConformance(t *testing.T) {
	_, url := openDB(t)
	storetest.RunWebhooks(t, func(t *testing.T) storetest.WebhookStore {
		ctx := context.Background()
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(db.Close)
		if err := db.ResetForTest(ctx); err != nil {
			t.Fatalf("reset: %v", err)
		}
		if err := db.ResetWebhooksForTest(ctx); err != nil {
			t.Fatalf("reset webhooks: %v", err)
		}
		return db
	})
}
