package postgres_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// bigClientSQL adds the client of the attack in issue 10: 30 tickets of 100 threads of
// 9,000 characters (27 MB), hex text in which no letter past f occurs.
var bigClientSQL = []string{
	`INSERT INTO people (id, name, role) VALUES ('bbbbbbbbbbbbbbbbbbbbbbbb', 'Big', 'client')`,
	`INSERT INTO tickets (id, title, category, client_id, created_at, updated_at)
	 SELECT 'bb' || lpad(to_hex(g), 22, '0'), 'Big ticket ' || g, 'other', 'bbbbbbbbbbbbbbbbbbbbbbbb', now(), now()
	   FROM generate_series(1, 30) g`,
	`INSERT INTO threads (id, ticket_id, message, created_at, updated_at)
	 SELECT 'bc' || lpad(to_hex(g * 1000 + i), 22, '0'), 'bb' || lpad(to_hex(g), 22, '0'),
	        substr(repeat(md5(g || '.' || i) || ' ' || md5(i || '.' || g) || ' ', 140), 1, 9000), now(), now()
	   FROM generate_series(1, 30) g, generate_series(1, 100) i`,
	`VACUUM ANALYZE tickets, threads`,
}

// BenchmarkSearch runs searches of every kind, with counts, on 100,000 tickets with
// 300,000 threads plus the big client, as a super admin and as the big client. Each q
// either answers or is refused (store.ErrSearchTooSlow, after SearchTimeout); the
// "slow" metric is how many times it was refused.
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	db, url := openDB(b)
	if err := pgtest.Seed(ctx, url, 1000, 100_000, 3); err != nil {
		b.Fatalf("Seed: %v", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	for _, sql := range bigClientSQL {
		if _, err := conn.Exec(ctx, sql); err != nil {
			b.Fatalf("big client: %v", err)
		}
	}
	conn.Close(ctx)
	callers := map[string]store.Caller{
		"bigClient":  {ID: "bbbbbbbbbbbbbbbbbbbbbbbb", Name: "Big", Role: store.RoleClient},
		"superAdmin": {ID: "000000000000000000000001", Name: "agent", Role: store.RoleSuperAdmin},
	}
	for _, q := range []string{"abc g h i j", "the a b c d e f g h i", "invoice", "invoice march x", "#1234", "zzq", "abc"} {
		for name, c := range callers {
			b.Run(name+"/"+strings.ReplaceAll(q, " ", "+"), func(b *testing.B) {
				f := store.ListFilter{Page: 1, Limit: 10, Sort: store.DefaultSort, Counts: true, Words: strings.Fields(q)}
				var took []time.Duration
				slow := 0
				for b.Loop() {
					t0 := time.Now()
					_, err := db.ListTickets(ctx, c, f)
					took = append(took, time.Since(t0))
					if errors.Is(err, store.ErrSearchTooSlow) {
						slow++
					} else if err != nil {
						b.Fatal(err)
					}
				}
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
				b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "ms-p99")
				b.ReportMetric(float64(slow), "slow")
			})
		}
	}
}
