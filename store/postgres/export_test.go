package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// QueryRowForTest lets the external tests (the benchmark) look at the data directly.
func (db *DB) QueryRowForTest(ctx context.Context, sql string, args ...any) pgx.Row {
	return db.pool.QueryRow(ctx, sql, args...)
}
