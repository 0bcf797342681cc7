package postgres_test

import (
	"context"
	"testing"

	"github.com/supportd/supportd/store/storetest"
)

// TestWebhookConformance shares one database between the cases, emptied before each.
func TestWebhookConformance(t *testing.T) {
	_, url := openDB(t)
	storetest.RunWebhooks(t, func(t *testing.T) storetest.WebhookStore {
		db := emptiedDB(t, url)
		if err := db.ResetWebhooksForTest(context.Background()); err != nil {
			t.Fatalf("reset webhooks: %v", err)
		}
		return db
	})
}
