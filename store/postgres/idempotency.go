package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// claim is the idempotency claim of a create: queued as the first statement of the
// create's transaction, it inserts the (caller, key) row; a concurrent request with
// the same key blocks on the primary key until this transaction ends. If that one
// committed, the row is there and the create is answered from it: the same hash
// replays the stored body, another hash is a mismatch. If it rolled back, the insert
// goes through and this request does the create. A row older than store.IdempotencyWindow
// counts as absent and is taken over. A nil idem claims nothing.
type claim struct {
	caller  store.ID
	idem    *store.Idempotency
	claimed bool
	replay  *store.Replay // set by settle when the create is answered from the row
}

// errReplay leaves the create's transaction (rolling it back, as it wrote nothing)
// when settle found a replay; result turns it into the create's result.
var errReplay = errors.New("idempotent replay")

// result is what the create's transaction ended with: a replay is a result, not an
// error.
func (c *claim) result(err error) (*store.Replay, error) {
	if errors.Is(err, errReplay) {
		return c.replay, nil
	}
	return nil, err
}

func (c *claim) queue(b *pgx.Batch) {
	if c.idem == nil {
		return
	}
	b.Queue(`
		INSERT INTO idempotency AS i (caller_id, key, hash) VALUES ($1, $2, $3)
		ON CONFLICT (caller_id, key) DO UPDATE
		   SET hash = EXCLUDED.hash, body = NULL, created_at = now()
		 WHERE i.created_at < now() - make_interval(secs => $4)
		RETURNING true`, c.caller, c.idem.Key, c.idem.Hash, store.IdempotencyWindow.Seconds()).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&c.claimed)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // settle tells why
		}
		return wrap("claim idempotency key", err)
	})
}

// settle runs after the claim's batch: a key not claimed is a replay (errReplay) or a
// mismatch.
func (c *claim) settle(ctx context.Context, p *pipeTx) error {
	if c.idem == nil || c.claimed {
		return nil
	}
	// A fresh row from a committed create: a new statement's snapshot sees it.
	var (
		hash string
		body []byte
	)
	b := &pgx.Batch{}
	b.Queue(`SELECT hash, body FROM idempotency WHERE caller_id = $1 AND key = $2`,
		c.caller, c.idem.Key).QueryRow(func(row pgx.Row) error {
		return wrap("read idempotency key", row.Scan(&hash, &body))
	})
	if err := p.batch(ctx, b); err != nil {
		return err
	}
	if hash != c.idem.Hash {
		return store.ErrIdempotencyMismatch
	}
	c.replay = &store.Replay{Body: body}
	return errReplay
}

// saveReply queues the storing of what the create answers, for the requests that
// replay it.
func (c *claim) saveReply(b *pgx.Batch, reply any) error {
	if c.idem == nil {
		return nil
	}
	body, err := marshal(reply)
	if err != nil {
		return err
	}
	b.Queue(`UPDATE idempotency SET body = $3 WHERE caller_id = $1 AND key = $2`,
		c.caller, c.idem.Key, string(body))
	return nil
}
