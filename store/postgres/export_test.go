package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// QueryRowForTest lets the external tests (the benchmark) look at the data directly.
func (db *DB) QueryRowForTest(ctx context.Context, sql string, args ...any) pgx.Row {
	return db.pool.QueryRow(ctx, sql, args...)
}

// ResetForTest empties the database as a fresh migration leaves it: no rows, ticket
// numbers from 1001 again (the sequence is owned by tickets.number, so RESTART
// IDENTITY restarts it), event ids from 1.
func (db *DB) ResetForTest(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, `
		TRUNCATE people, tickets, threads, ticket_counts, ticket_counts_global, events, idempotency
		RESTART IDENTITY;
		UPDATE event_cursor SET last_id = 0`)
	return err
}
