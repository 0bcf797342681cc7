package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pipeTx is a transaction sent as pipelined batches: BEGIN rides with the first batch
// and COMMIT with the last, so a create or a reply costs two round trips instead of
// one per statement (pgx's Batch.BeginTx saves the BEGIN but not the COMMIT, which
// Tx.Commit sends on its own). PostgreSQL runs a batch's statements one after the other, each
// with its own snapshot as in any READ COMMITTED transaction, so a lock taken by one
// statement is held when the next starts, exactly as when they are sent one by one.
type pipeTx struct {
	conn *pgxpool.Conn
	last *pgx.Batch // what commit sends ahead of COMMIT
}

// batch sends b as the transaction's next round trip (after BEGIN, on the first) and
// reads every result into the queued callbacks: a failed statement is the error.
func (p *pipeTx) batch(ctx context.Context, b *pgx.Batch) error {
	if !p.open() {
		b.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: "BEGIN"}}, b.QueuedQueries...)
	}
	return sendBatch(ctx, p.conn, b, "write")
}

// open tells whether BEGIN was sent: the server's last ready message says whether a
// transaction is open (or failed, which is open until rolled back).
func (p *pipeTx) open() bool { return p.conn.Conn().PgConn().TxStatus() != 'I' }

// commitWith sets the statements that commit sends in one round trip with COMMIT.
func (p *pipeTx) commitWith(b *pgx.Batch) { p.last = b }

// inPipeline runs fn in a pipelined READ COMMITTED transaction and commits it; any
// error rolls it back. fn reads with p.batch and hands its writes to p.commitWith.
func (db *DB) inPipeline(ctx context.Context, fn func(p *pipeTx) error) (err error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return wrap("acquire", err)
	}
	p := &pipeTx{conn: conn}
	defer func() {
		if err != nil && !conn.Conn().IsClosed() && p.open() {
			// If it fails, the pool drops a connection that is still in a
			// transaction when it comes back.
			rctx, cancel := rollbackContext(ctx)
			_, _ = conn.Exec(rctx, "ROLLBACK")
			cancel()
		}
		conn.Release()
	}()
	if err := fn(p); err != nil {
		return err
	}
	last := p.last
	if last == nil {
		last = &pgx.Batch{}
	}
	if db.hooks.beforeCommit != nil {
		// Tests stop here with the writes sent and not committed.
		if err := p.batch(ctx, last); err != nil {
			return err
		}
		if err := db.hooks.beforeCommit(ctx); err != nil {
			return err
		}
		last = &pgx.Batch{}
	}
	// COMMIT of a transaction that a failed statement aborted rolls back without
	// an error: only its tag tells.
	last.Queue("COMMIT").Exec(func(tag pgconn.CommandTag) error {
		if tag.String() == "ROLLBACK" {
			return wrap("commit", pgx.ErrTxCommitRollback)
		}
		return nil
	})
	return p.batch(ctx, last)
}

// absent is wrap for a batch's read of one row whose absence the caller tells later
// (after an idempotency key, say): no row sets *none and is not an error.
func absent(what string, err error, none *bool) error {
	if errors.Is(err, pgx.ErrNoRows) {
		*none = true
		return nil
	}
	return wrap(what, err)
}
