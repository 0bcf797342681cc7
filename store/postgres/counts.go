package postgres

import (
	"context"

	"github.com/supportd/supportd/store"
)

// The counts tables are kept by the tickets triggers (see the migration). Rows may hold
// zero, and a global shard may go negative (a ticket counted in one shard and changed
// from another backend): only sums over shards mean anything.

// globalCounts returns the counts over every ticket, of one category when it is set.
func globalCounts(ctx context.Context, q querier, category *store.Category) (store.Counts, error) {
	return sumCounts(ctx, q, `
		SELECT status, sum(n)::bigint FROM ticket_counts_global
		 WHERE ($1::text IS NULL OR category = $1) GROUP BY status`, category)
}

// sumCounts reads (status, n) rows into Counts.
func sumCounts(ctx context.Context, q querier, sql string, args ...any) (store.Counts, error) {
	var c store.Counts
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return c, wrap("counts", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status store.Status
			n      int64
		)
		if err := rows.Scan(&status, &n); err != nil {
			return store.Counts{}, wrap("counts", err)
		}
		c.Add(status, n)
	}
	return c, wrap("counts", rows.Err())
}
