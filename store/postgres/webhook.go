package postgres

import (
	"context"
	"time"

	"github.com/supportd/supportd/store"
)

var _ store.Webhooks = (*DB)(nil)

// CreateWebhook stores w; its position is the newest event id, so delivery starts
// with the next event.
func (db *DB) CreateWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	w.CreatedAt = db.clock()
	w.ID = db.ids.New(w.CreatedAt.Time)
	_, err := db.pool.Exec(ctx, `
		INSERT INTO webhooks (id, url, events, secret, created_at, position)
		SELECT $1, $2, $3, $4, $5, last_id FROM event_cursor`,
		w.ID, w.URL, eventTypes(w.Events), w.Secret, w.CreatedAt.Time)
	if err != nil {
		return store.Webhook{}, wrap("create webhook", err)
	}
	return w, nil
}

func eventTypes(ts []store.EventType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

// ListWebhooks returns every webhook without its secret, oldest first.
func (db *DB) ListWebhooks(ctx context.Context) ([]store.Webhook, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, url, events, created_at FROM webhooks ORDER BY created_at, id`)
	if err != nil {
		return nil, wrap("list webhooks", err)
	}
	defer rows.Close()
	out := []store.Webhook{}
	for rows.Next() {
		var (
			w     store.Webhook
			types []string
			at    time.Time
		)
		if err := rows.Scan(&w.ID, &w.URL, &types, &at); err != nil {
			return nil, wrap("list webhooks", err)
		}
		w.Events, w.CreatedAt = toTypes(types), store.At(at)
		out = append(out, w)
	}
	return out, wrap("list webhooks", rows.Err())
}

func toTypes(ss []string) []store.EventType {
	out := make([]store.EventType, len(ss))
	for i, s := range ss {
		out[i] = store.EventType(s)
	}
	return out
}

// DeleteWebhook deletes a webhook; its attempts go with it (ON DELETE CASCADE).
func (db *DB) DeleteWebhook(ctx context.Context, id store.ID) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return wrap("delete webhook", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Deliveries returns a webhook's most recent attempts, newest first.
func (db *DB) Deliveries(ctx context.Context, id store.ID, limit int) ([]store.Delivery, error) {
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = $1)`, id).Scan(&exists); err != nil {
		return nil, wrap("deliveries", err)
	}
	if !exists {
		return nil, store.ErrNotFound
	}
	rows, err := db.pool.Query(ctx, `
		SELECT event_id, attempt, status, coalesce(error, ''), duration_ms, at
		  FROM webhook_attempts WHERE webhook_id = $1 ORDER BY seq DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, wrap("deliveries", err)
	}
	defer rows.Close()
	out := []store.Delivery{}
	for rows.Next() {
		var (
			d  store.Delivery
			at time.Time
		)
		if err := rows.Scan(&d.EventID, &d.Attempt, &d.Status, &d.Error, &d.DurationMs, &at); err != nil {
			return nil, wrap("deliveries", err)
		}
		d.At = store.At(at)
		out = append(out, d)
	}
	return out, wrap("deliveries", rows.Err())
}

// ReplayWebhook moves the position back (or forward) and bumps the generation.
func (db *DB) ReplayWebhook(ctx context.Context, id store.ID, from int64) error {
	tag, err := db.pool.Exec(ctx, `
		UPDATE webhooks SET position = $2, generation = generation + 1 WHERE id = $1`, id, from)
	if err != nil {
		return wrap("replay webhook", err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// LeaseWebhooks takes the free and expired leases and renews owner's own. Two
// instances running it together cannot both win a row: the second UPDATE waits for
// the first's row lock and then re-checks the WHERE against the row as committed,
// where the lease is no longer free. The database's clock decides expiry, so the
// instances' clocks need not agree.
func (db *DB) LeaseWebhooks(ctx context.Context, owner string, ttl time.Duration) ([]store.WebhookLease, error) {
	rows, err := db.pool.Query(ctx, `
		UPDATE webhooks SET lease_owner = $1, lease_expires = now() + $2 * interval '1 millisecond'
		 WHERE lease_owner = $1 OR lease_owner IS NULL OR lease_expires < now()
		RETURNING id, url, events, secret, created_at, position, generation`, owner, ttl.Milliseconds())
	if err != nil {
		return nil, wrap("lease webhooks", err)
	}
	defer rows.Close()
	var out []store.WebhookLease
	for rows.Next() {
		var (
			l     store.WebhookLease
			types []string
			at    time.Time
		)
		if err := rows.Scan(&l.ID, &l.URL, &types, &l.Secret, &at, &l.Position, &l.Generation); err != nil {
			return nil, wrap("lease webhooks", err)
		}
		l.Events, l.CreatedAt = toTypes(types), store.At(at)
		out = append(out, l)
	}
	return out, wrap("lease webhooks", rows.Err())
}

// ReleaseWebhooks frees owner's leases.
func (db *DB) ReleaseWebhooks(ctx context.Context, owner string) error {
	_, err := db.pool.Exec(ctx, `
		UPDATE webhooks SET lease_owner = NULL, lease_expires = NULL WHERE lease_owner = $1`, owner)
	return wrap("release webhooks", err)
}

// RecordDeliveries is one statement: the guarded position update, the attempts
// (only if the guard held) and the trim of old attempts. The trim runs in the
// statement's snapshot, without the new rows, so it keeps MaxDeliveries−len(ds) of
// the old ones.
func (db *DB) RecordDeliveries(ctx context.Context, l store.WebhookLease, owner string, ds []store.Delivery, position int64) error {
	n := len(ds)
	events, attempts, statuses := make([]int64, n), make([]int32, n), make([]int32, n)
	errs, durations, ats := make([]*string, n), make([]int64, n), make([]time.Time, n)
	for i, d := range ds {
		events[i], attempts[i], statuses[i], durations[i], ats[i] = d.EventID, int32(d.Attempt), int32(d.Status), d.DurationMs, d.At.Time
		if d.Error != "" {
			errs[i] = &ds[i].Error
		}
	}
	var held bool
	err := db.pool.QueryRow(ctx, `
		WITH w AS (
			UPDATE webhooks SET position = $4
			 WHERE id = $1 AND lease_owner = $2 AND generation = $3
			RETURNING id),
		a AS (
			INSERT INTO webhook_attempts (webhook_id, event_id, attempt, status, error, duration_ms, at)
			SELECT w.id, d.event_id, d.attempt, d.status, d.error, d.duration_ms, d.at
			  FROM w, unnest($5::bigint[], $6::int[], $7::int[], $8::text[], $9::bigint[], $10::timestamptz[])
			       WITH ORDINALITY AS d(event_id, attempt, status, error, duration_ms, at, ord)
			 ORDER BY d.ord),
		t AS (
			DELETE FROM webhook_attempts
			 WHERE $11 > 0 AND webhook_id = $1 AND EXISTS (SELECT 1 FROM w) AND seq <= (
				SELECT seq FROM webhook_attempts WHERE webhook_id = $1
				 ORDER BY seq DESC OFFSET $12 LIMIT 1))
		SELECT EXISTS (SELECT 1 FROM w)`,
		l.ID, owner, l.Generation, position, events, attempts, statuses, errs, durations, ats,
		n, max(store.MaxDeliveries-n, 0)).Scan(&held)
	if err != nil {
		return wrap("record deliveries", err)
	}
	if !held {
		return store.ErrLeaseLost
	}
	return nil
}

// OldestEventID is the oldest numbered event kept (the id column is unique, so
// indexed), or the cursor's next id when pruning emptied the log.
func (db *DB) OldestEventID(ctx context.Context) (int64, error) {
	var oldest int64
	err := db.pool.QueryRow(ctx, `
		SELECT coalesce((SELECT min(id) FROM events), (SELECT last_id + 1 FROM event_cursor))`).Scan(&oldest)
	return oldest, wrap("oldest event id", err)
}

// TicketByIssueURL finds the ticket linked to a GitHub issue.
func (db *DB) TicketByIssueURL(ctx context.Context, url string) (store.ID, error) {
	var id store.ID
	err := db.pool.QueryRow(ctx, `SELECT id FROM tickets WHERE issue_url = $1 ORDER BY created_at LIMIT 1`, url).Scan(&id)
	return id, notFound("ticket by issue url", err)
}

// ClaimGitHubDelivery inserts the delivery id; a second claim inserts nothing.
func (db *DB) ClaimGitHubDelivery(ctx context.Context, id string) (bool, error) {
	tag, err := db.pool.Exec(ctx, `INSERT INTO github_deliveries (id) VALUES ($1) ON CONFLICT DO NOTHING`, id)
	if err != nil {
		return false, wrap("claim github delivery", err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseGitHubDelivery forgets a claimed delivery id.
func (db *DB) ReleaseGitHubDelivery(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM github_deliveries WHERE id = $1`, id)
	return wrap("release github delivery", err)
}
