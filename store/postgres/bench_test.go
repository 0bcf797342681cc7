package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// BenchmarkListTicketsWithCounts measures the first page of the default list with
// status counts, the request every console and widget makes first, on 100,000 tickets
// with 300,000 threads over 1,000 clients. It reports the median and the 99th
// percentile next to the mean, since the bar is on the median.
func BenchmarkListTicketsWithCounts(b *testing.B) {
	ctx := context.Background()
	db, url := openDB(b)
	start := time.Now()
	if err := pgtest.Seed(ctx, url, 1000, 100_000, 3); err != nil {
		b.Fatalf("Seed: %v", err)
	}
	b.Logf("seeded 1,000 clients, 100,000 tickets, 300,000 threads in %v", time.Since(start).Round(time.Millisecond))

	var clientID, adminID store.ID
	if err := db.QueryRowForTest(ctx, `
		SELECT (SELECT client_id FROM tickets ORDER BY created_at DESC LIMIT 1),
		       (SELECT id FROM people WHERE role = 'superAdmin' LIMIT 1)`).Scan(&clientID, &adminID); err != nil {
		b.Fatal(err)
	}
	callers := []struct {
		name   string
		caller store.Caller
	}{
		{"client", store.Caller{ID: clientID, Name: "client", Role: store.RoleClient}},
		{"superAdmin", store.Caller{ID: adminID, Name: "agent", Role: store.RoleSuperAdmin}},
	}
	f := store.ListFilter{Page: 1, Limit: 10, Sort: store.DefaultSort, Counts: true}
	for _, c := range callers {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				p, err := db.ListTickets(ctx, c.caller, f)
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Tickets) != 10 || p.Counts == nil || p.Counts.All != p.Total {
					b.Fatalf("got %d tickets, counts %v, total %d; want 10, counts of all", len(p.Tickets), p.Counts, p.Total)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "ms-p99")
		})
	}
}
