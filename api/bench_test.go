package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// BenchmarkListWithCountsHTTP measures GET /support-tickets?countByStatus=true end to
// end (HTTP, auth, rate limiter, store, JSON) on 100,000 tickets and 300,000 threads
// over 1,000 clients, for one client and for a super admin whose counts span all of
// them. It reports the median and the 99th percentile, since the bar is the median.
func BenchmarkListWithCountsHTTP(b *testing.B) {
	ctx := context.Background()
	db, url := benchPostgres(b)
	if err := pgtest.Seed(ctx, url, 1000, 100_000, 3); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	var clientID, adminID store.ID
	err = conn.QueryRow(ctx, `SELECT (SELECT client_id FROM tickets ORDER BY created_at DESC LIMIT 1),
		(SELECT id FROM people WHERE role = 'superAdmin' LIMIT 1)`).Scan(&clientID, &adminID)
	conn.Close(ctx)
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(b, db, withConfig(api.Config{}))
	for _, c := range []store.Caller{
		{ID: clientID, Name: "client", Role: store.RoleClient},
		{ID: adminID, Name: "agent", Role: store.RoleSuperAdmin},
	} {
		tok, _ := e.auth.Mint(c, time.Hour)
		b.Run(string(c.Role), func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				r := e.req(b, "GET", "/support-tickets?countByStatus=true", tok, nil)
				took = append(took, time.Since(t0))
				if r.status != http.StatusOK {
					b.Fatalf("got %d %s", r.status, r.body)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "ms-p99")
		})
	}
}

// benchPostgres opens a migrated private database for a benchmark, closed when it
// ends, and gives its URL for whatever else the benchmark connects with.
func benchPostgres(b *testing.B) (*postgres.DB, string) {
	url := pgtest.NewDatabase(b)
	db, err := postgres.Open(b.Context(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	if err := db.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	return db, url
}
