package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// The counts tables are kept by the tickets triggers (see the migration). Rows may hold
// zero, and a global shard may go negative (a ticket counted in one shard and changed
// from another backend): only sums over shards mean anything.

// globalCountsSQL sums the global shards by status, of one category when $1 is set.
const globalCountsSQL = `
	SELECT status, sum(n)::bigint FROM ticket_counts_global
	 WHERE ($1::text IS NULL OR category = $1) GROUP BY status`

// globalCounts returns the counts over every ticket, of one category when it is set.
func globalCounts(ctx context.Context, q querier, category *store.Category) (store.Counts, error) {
	var c store.Counts
	rows, err := q.Query(ctx, globalCountsSQL, category)
	if err != nil {
		return c, wrap("counts", err)
	}
	if err := addCounts(rows, &c); err != nil {
		return store.Counts{}, err
	}
	return c, nil
}

// addCounts adds (status, n) rows to c and closes rows.
func addCounts(rows pgx.Rows, c *store.Counts) error {
	defer rows.Close()
	for rows.Next() {
		var (
			status store.Status
			n      int64
		)
		if err := rows.Scan(&status, &n); err != nil {
			return wrap("counts", err)
		}
		c.Add(status, n)
	}
	return wrap("counts", rows.Err())
}
