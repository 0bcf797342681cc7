package postgres

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// TestListPlansAvoidSeqScans seeds a database and checks, with EXPLAIN ANALYZE, that
// no list query scans tickets or threads sequentially: each scope (a client, a super
// admin), each sort, with status, category, both, an assignee, and a selective search
// word. (A word that most tickets contain is the exception by nature: finding every
// match to count them is a scan.)
func TestListPlansAvoidSeqScans(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 tickets")
	}
	ctx := context.Background()
	db, url := newTestDB(t)
	if err := pgtest.Seed(ctx, url, 1000, 100_000, 1); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	var clientID, adminID store.ID
	if err := db.pool.QueryRow(ctx, `
		SELECT (SELECT client_id FROM tickets ORDER BY created_at DESC LIMIT 1),
		       (SELECT id FROM people WHERE role = 'superAdmin' LIMIT 1)`).Scan(&clientID, &adminID); err != nil {
		t.Fatal(err)
	}
	var number int64
	if err := db.pool.QueryRow(ctx, `SELECT number FROM tickets LIMIT 1`).Scan(&number); err != nil {
		t.Fatal(err)
	}
	status, category := store.StatusCancelled, store.Category("smartScan")
	filters := map[string]store.ListFilter{
		"none":            {},
		"status":          {Status: &status},
		"category":        {Category: &category},
		"status+category": {Status: &status, Category: &category},
		"assignee":        {Assignee: &adminID},
		"client":          {Client: &clientID},
		"word":            {Words: []string{"#1234"}}, // in a few titles only
		"word+status":     {Words: []string{"#1234"}, Status: &status},
	}
	seqScan := regexp.MustCompile(`Seq Scan on (tickets|threads)\b`)
	for _, c := range []store.Caller{
		{ID: clientID, Role: store.RoleClient},
		{ID: adminID, Role: store.RoleSuperAdmin},
	} {
		for _, sort := range []string{"-createdAt", "createdAt", "-updatedAt", "updatedAt", "-number", "number"} {
			for name, f := range filters {
				f.Sort, _ = store.ParseSort(sort)
				f.Counts = true
				for what, plan := range explainList(t, db, c, f) {
					if seqScan.MatchString(plan) {
						t.Errorf("%s list, sort %s, filter %s: the %s query scans sequentially:\n%s",
							c.Role, sort, name, what, plan)
					}
				}
			}
		}
	}
}

// explainList returns the plans of the page and counts queries ListTickets makes.
func explainList(tb testing.TB, db *DB, c store.Caller, f store.ListFilter) map[string]string {
	tb.Helper()
	ctx := context.Background()
	var q listQuery
	q.filter(c, f)
	plan := func(sql string, args []any) string {
		rows, err := db.pool.Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF) "+sql, args...)
		if err != nil {
			tb.Fatalf("EXPLAIN %s: %v", sql, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			tb.Fatalf("EXPLAIN %s: %v", sql, err)
		}
		return strings.Join(lines, "\n")
	}
	countsSQL, countsArgs := q.countsSQL(c, f)
	return map[string]string{
		"page":   plan(q.pageSQL(f, 10, 0), q.pageArgs(f)),
		"counts": plan(countsSQL, countsArgs),
	}
}
