package pgtest

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// superAdmins is how many support agents Seed adds next to the clients.
const superAdmins = 5

// Seed fills the migrated database at url with clients client accounts, superAdmins
// agents, tickets tickets spread over the clients and over the last year, and
// threadsPerTicket threads on each (client and agent taking turns, all but the last
// seen), with set-based SQL in one transaction: the counts triggers run once per
// statement, and the unread counters are written as the threads make them. Ids are
// random per call, so a database can be seeded more than once.
func Seed(ctx context.Context, url string, clients, tickets, threadsPerTicket int) error {
	if clients < 1 || tickets < 0 || threadsPerTicket < 0 {
		return fmt.Errorf("pgtest: seed: want clients >= 1, tickets and threads >= 0")
	}
	// Ids end in a 6-hex-digit counter.
	if tickets*threadsPerTicket >= 1<<24 || tickets >= 1<<24 || clients >= 1<<24 {
		return fmt.Errorf("pgtest: seed: at most %d rows of a kind", 1<<24-1)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("pgtest: seed: %w", err)
	}
	defer conn.Close(context.Background())

	now := time.Now().UTC().Truncate(time.Millisecond)
	// Tickets are spread evenly over the year before yesterday, so that their threads
	// (37 minutes apart) are all in the past.
	start := now.Add(-366 * 24 * time.Hour)
	step := int64(365*24*time.Hour/time.Millisecond) / int64(max(tickets, 1))
	p := seedParams{
		clientIDs: idPrefix(now), adminIDs: idPrefix(now), ticketIDs: idPrefix(now), threadIDs: idPrefix(now),
		clients: clients, tickets: tickets, threads: threadsPerTicket, start: start, stepMillis: step,
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgtest: seed: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	for _, st := range p.statements() {
		if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("pgtest: seed %s: %w", st.what, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgtest: seed: %w", err)
	}
	// Fresh statistics and visibility maps, as autovacuum would leave them: the planner
	// must see the real sizes, or a benchmark measures the wrong plans.
	if _, err := conn.Exec(ctx, `VACUUM (ANALYZE) people, tickets, threads, ticket_counts, ticket_counts_global`); err != nil {
		return fmt.Errorf("pgtest: seed vacuum: %w", err)
	}
	return nil
}

// idPrefix is the first 18 of an id's 24 hex digits: the seconds, then 5 random bytes.
func idPrefix(now time.Time) string {
	return fmt.Sprintf("%08x", uint32(now.Unix())) + randomHex(5)
}

type seedParams struct {
	clientIDs, adminIDs, ticketIDs, threadIDs string
	clients, tickets, threads                 int
	start                                     time.Time
	stepMillis                                int64
}

type statement struct {
	what string
	sql  string
	args []any
}

// statements are the seed's SQL. A ticket's values are functions of its number g in
// the series, so that the threads statement can recompute its ticket's id, time and
// agent without reading the tickets back.
func (p seedParams) statements() []statement {
	const ticketTime = `($5::timestamptz + ((g - 1) * $6::bigint) * interval '1 millisecond')`
	return []statement{
		{"settings", `SET LOCAL work_mem = '64MB'`, nil},
		{"clients", `
			INSERT INTO people (id, name, role)
			SELECT $1 || lpad(to_hex(g), 6, '0'),
			       (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne',
			              'Wonka', 'Tyrell', 'Cyberdyne'])[1 + g % 10] || ' ' || g,
			       'client'
			  FROM generate_series(1, $2::int) g`, []any{p.clientIDs, p.clients}},
		{"super admins", `
			INSERT INTO people (id, name, role)
			SELECT $1 || lpad(to_hex(g), 6, '0'),
			       (ARRAY['Ann', 'Sam', 'Lee', 'Kim', 'Max'])[1 + g % 5] || ' (support)',
			       'superAdmin'
			  FROM generate_series(1, $2::int) g`, []any{p.adminIDs, superAdmins}},
		{"tickets", `
			INSERT INTO tickets (id, title, subject, category, status, api, assignee_id, client_id,
			                     created_at, updated_at, unread_client, unread_support)
			SELECT $1 || lpad(to_hex(g), 6, '0'),
			       (ARRAY['Cannot log in', 'Invoice amount looks wrong', 'Webhook not firing',
			              'Scanner shows an error', 'Enrollment stuck', 'Door does not open',
			              'Export to CSV fails', 'Password reset email missing',
			              'API returns 500', 'Refund request'])[1 + (r1 * 10)::int % 10] || ' #' || g,
			       CASE WHEN r2 < 0.4 THEN NULL
			            ELSE (ARRAY['Since this morning', 'After the update', 'For some users',
			                        'On the mobile app', 'Intermittently'])[1 + (r2 * 50)::int % 5] END,
			       (ARRAY['billing', 'integration', 'smartCheck', 'smartScan', 'smartEnroll',
			              'smartAccess', 'other'])[1 + (r3 * 7)::int % 7],
			       CASE WHEN r4 < 0.25 THEN 'pending' WHEN r4 < 0.45 THEN 'progress'
			            WHEN r4 < 0.9 THEN 'resolved' ELSE 'cancelled' END,
			       CASE WHEN r2 < 0.5 THEN NULL ELSE 'v' || (1 + (r2 * 10)::int % 3) END,
			       CASE WHEN r4 < 0.25 THEN NULL ELSE $7 || lpad(to_hex(1 + g % $8::int), 6, '0') END,
			       $3 || lpad(to_hex(1 + (r5 * $4::int)::int % $4::int), 6, '0'),
			       date_trunc('milliseconds', ` + ticketTime + `),
			       date_trunc('milliseconds', ` + ticketTime + ` + greatest($9::int - 1, 0) * interval '37 minutes'),
			       CASE WHEN $9::int > 0 AND $9::int % 2 = 0 THEN 1 ELSE 0 END,
			       CASE WHEN $9::int % 2 = 1 THEN 1 ELSE 0 END
			  FROM (SELECT g, random() r1, random() r2, random() r3, random() r4, random() r5
			          FROM generate_series(1, $2::int) g) s
			 ORDER BY g`,
			[]any{p.ticketIDs, p.tickets, p.clientIDs, p.clients, p.start, p.stepMillis, p.adminIDs, superAdmins, p.threads}},
		// Odd threads are the client's, even ones an agent's; all but the last are seen.
		{"threads", `
			INSERT INTO threads (id, ticket_id, message, super_admin_id, attachments, seen_at, created_at, updated_at)
			SELECT $1 || lpad(to_hex((g - 1) * $3::int + i), 6, '0'),
			       $2 || lpad(to_hex(g), 6, '0'),
			       (ARRAY['Hello, ', 'Hi team, ', 'Good morning, ', 'Thanks for the quick answer. ',
			              'Following up: '])[1 + (g + i) % 5] ||
			       (ARRAY['the invoice for March shows twice the usual amount.',
			              'our scanner at the front desk keeps rebooting.',
			              'the webhook endpoint receives no events since Monday.',
			              'could you check the enrollment of the new badge readers?',
			              'we deployed the fix and it works on our side now.',
			              'please find the logs attached, the error starts at 10:42.',
			              'the export button spins forever on large reports.',
			              'can you escalate this, our customers are waiting.'])[1 + (g * 7 + i * 3) % 8],
			       CASE WHEN i % 2 = 0 THEN $7 || lpad(to_hex(1 + g % $8::int), 6, '0') END,
			       CASE WHEN (g + i) % 11 = 0 THEN ARRAY[$1 || 'ffffff'] ELSE '{}' END,
			       CASE WHEN i < $3::int
			            THEN date_trunc('milliseconds', ` + ticketTime + ` + (i - 1) * interval '37 minutes' + interval '5 minutes') END,
			       date_trunc('milliseconds', ` + ticketTime + ` + (i - 1) * interval '37 minutes'),
			       date_trunc('milliseconds', ` + ticketTime + ` + (i - 1) * interval '37 minutes')
			  FROM generate_series(1, $4::int) g CROSS JOIN generate_series(1, $3::int) i
			 ORDER BY g, i`,
			[]any{p.threadIDs, p.ticketIDs, p.threads, p.tickets, p.start, p.stepMillis, p.adminIDs, superAdmins}},
	}
}
