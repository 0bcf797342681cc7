package postgres

import (
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
