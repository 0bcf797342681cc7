package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// claimKey is the first statement of an idempotent create. It inserts the (caller, key)
// row; a concurrent request with the same key blocks on the primary key until this
// transaction ends. If it committed, the row is there and the create is answered from
// it: the same hash replays the stored body, another hash is a mismatch. If it rolled
// back, the insert goes through and this request does the create. A row older than 24
// hours counts as absent and is taken over. idem nil claims nothing.
func claimKey(ctx context.Context, tx pgx.Tx, caller store.ID, idem *store.Idempotency) error {
	if idem == nil {
		return nil
	}
	var claimed bool
	err := tx.QueryRow(ctx, `
		INSERT INTO idempotency AS i (caller_id, key, hash) VALUES ($1, $2, $3)
		ON CONFLICT (caller_id, key) DO UPDATE
		   SET hash = EXCLUDED.hash, body = NULL, created_at = now()
		 WHERE i.created_at < now() - interval '24 hours'
		RETURNING true`, caller, idem.Key, idem.Hash).Scan(&claimed)
	if err == nil {
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return wrap("claim idempotency key", err)
	}
	// A fresh row from a committed create: this statement's snapshot sees it.
	var (
		hash string
		body []byte
	)
	err = tx.QueryRow(ctx, `SELECT hash, body FROM idempotency WHERE caller_id = $1 AND key = $2`,
		caller, idem.Key).Scan(&hash, &body)
	if err != nil {
		return wrap("read idempotency key", err)
	}
	if hash != idem.Hash {
		return store.ErrIdempotencyMismatch
	}
	return &store.ReplayError{Body: body}
}

// saveReply stores what the create answers, for the requests that replay it.
func saveReply(ctx context.Context, tx pgx.Tx, caller store.ID, idem *store.Idempotency, reply any) error {
	if idem == nil {
		return nil
	}
	body, err := marshal(reply)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE idempotency SET body = $3 WHERE caller_id = $1 AND key = $2`,
		caller, idem.Key, string(body))
	return wrap("save idempotent reply", err)
}
