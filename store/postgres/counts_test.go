package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// TestCountsMatchRecount runs a random mix of creates, status and category changes,
// replies (which reopen), seen marks and bulk deletes from several goroutines, then
// checks the trigger-kept counts and the unread counters against a recount.
func TestCountsMatchRecount(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	const workers, steps = 4, 60
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			errs <- randomWrites(ctx, db, rand.New(rand.NewPCG(uint64(w), 42)), steps)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if countRows(t, db, `SELECT count(*) FROM tickets`) == 0 {
		t.Fatal("no tickets left: the mix deleted everything, the check would prove nothing")
	}
	checkSame(t, db, "per-client counts",
		`SELECT client_id, category, status, n FROM ticket_counts WHERE n <> 0`,
		`SELECT client_id, category, status, count(*) FROM tickets GROUP BY 1, 2, 3`)
	checkSame(t, db, "global counts",
		`SELECT '', category, status, sum(n)::bigint FROM ticket_counts_global GROUP BY 2, 3 HAVING sum(n) <> 0`,
		`SELECT '', category, status, count(*) FROM tickets GROUP BY 2, 3`)
	checkSame(t, db, "unread counters",
		`SELECT id, unread_client::text, unread_support::text, 1 FROM tickets`,
		`SELECT t.id,
		        count(th.id) FILTER (WHERE th.super_admin_id IS NOT NULL AND th.seen_at IS NULL)::text,
		        count(th.id) FILTER (WHERE th.super_admin_id IS NULL AND th.seen_at IS NULL)::text, 1
		   FROM tickets t LEFT JOIN threads th ON th.ticket_id = t.id GROUP BY t.id`)
}

// randomWrites makes n random changes; ErrNotFound is expected where another worker
// deleted a ticket first.
func randomWrites(ctx context.Context, db *DB, r *rand.Rand, n int) error {
	var mine []store.ID
	var threads []store.ID
	for range n {
		c := client(r.IntN(3))
		a := agent(r.IntN(2))
		var err error
		switch op := r.IntN(10); {
		case op < 4 || len(mine) == 0:
			in := newTicket(c, "random")
			in.Category = store.Categories[r.IntN(len(store.Categories))]
			if r.IntN(2) == 0 {
				in = store.NewTicket{Caller: a, Client: c.ID, Title: "by support", Category: in.Category,
					Threads: []store.NewThreadBody{{Message: "we noticed"}, {Message: "details"}}}
				if err := db.RememberPerson(ctx, c); err != nil {
					return err
				}
			}
			var tk store.Ticket
			if tk, _, err = db.CreateTicket(ctx, in); err == nil {
				mine = append(mine, tk.ID)
				for _, th := range tk.Threads {
					threads = append(threads, th.ID)
				}
			}
		case op < 6:
			s := store.Statuses[r.IntN(len(store.Statuses))]
			u := store.TicketUpdate{Status: &s}
			if r.IntN(3) == 0 {
				u.Category = &store.Categories[r.IntN(len(store.Categories))]
			}
			_, err = db.UpdateTicket(ctx, a, mine[r.IntN(len(mine))], u)
		case op < 8:
			// An agent's reply, or the owner's, which reopens a closed ticket.
			id, by := mine[r.IntN(len(mine))], a
			if r.IntN(2) == 0 {
				var tk store.Ticket
				if tk, err = db.Ticket(ctx, a, id); err == nil {
					by = store.Caller{ID: tk.Client.ID, Name: tk.Client.Name, Role: store.RoleClient}
				}
			}
			if err == nil {
				var th store.Thread
				th, _, err = db.AddThread(ctx, store.NewThread{Caller: by, TicketID: id,
					NewThreadBody: store.NewThreadBody{Message: "reply"}})
				threads = append(threads, th.ID)
			}
		case op < 9:
			if len(threads) > 0 {
				err = db.MarkSeen(ctx, [2]store.Caller{a, c}[r.IntN(2)], threads, time.Now())
			}
		default:
			k := 1 + r.IntN(min(len(mine), 5))
			_, err = db.DeleteTickets(ctx, a, mine[:k])
			mine = mine[k:]
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return nil
}

// checkSame compares two queries of four columns as sets of rows.
func checkSame(t *testing.T, db *DB, what, kept, recount string) {
	t.Helper()
	read := func(sql string) map[string]bool {
		rows, err := db.pool.Query(context.Background(), sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer rows.Close()
		out := map[string]bool{}
		for rows.Next() {
			var a, b, c string
			var n int64
			if err := rows.Scan(&a, &b, &c, &n); err != nil {
				t.Fatal(err)
			}
			out[fmt.Sprint(a, "/", b, "/", c, "=", n)] = true
		}
		return out
	}
	got, want := read(kept), read(recount)
	for k := range want {
		if !got[k] {
			t.Errorf("%s: recount has %s, the kept values do not", what, k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s: kept values have %s, the recount does not", what, k)
		}
	}
}
