package postgres

import "context"

// ResetWebhooksForTest empties the integrations' tables.
func (db *DB) ResetWebhooksForTest(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `TRUNCATE webhooks, webhook_attempts, github_deliveries`)
	return err
}
