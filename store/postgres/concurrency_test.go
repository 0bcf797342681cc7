package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func TestConcurrentCreatesGetDistinctNumbers(t *testing.T) {
	db, _ := newTestDB(t)
	const n = 50
	numbers := make(chan int64, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tk, _, err := db.CreateTicket(context.Background(), newTicket(client(i%5), fmt.Sprintf("t%d", i)))
			if err != nil {
				errs <- err
				return
			}
			numbers <- tk.Number
		})
	}
	wg.Wait()
	close(numbers)
	close(errs)
	for err := range errs {
		t.Fatalf("CreateTicket: %v", err)
	}
	seen := map[int64]bool{}
	for num := range numbers {
		if num < 1001 || num > 1000+n {
			t.Errorf("number %d: want 1001..%d", num, 1000+n)
		}
		if seen[num] {
			t.Errorf("number %d given twice", num)
		}
		seen[num] = true
	}
	if len(seen) != n {
		t.Errorf("distinct numbers: got %d, want %d", len(seen), n)
	}
}

func TestConcurrentIdempotentCreatesCreateOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	in := newTicket(client(1), "once")
	in.Idem = &store.Idempotency{Key: "k-1", Hash: "h-1"}
	const n = 12
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []store.Ticket
		replays [][]byte
		others  []error
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			tk, replay, err := db.CreateTicket(ctx, in)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && replay == nil:
				created = append(created, tk)
			case err == nil:
				replays = append(replays, replay.Body)
			default:
				others = append(others, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(others) > 0 {
		t.Fatalf("CreateTicket: unexpected errors %v", others)
	}
	if len(created) != 1 || len(replays) != n-1 {
		t.Fatalf("got %d created and %d replays, want 1 and %d", len(created), len(replays), n-1)
	}
	want, _ := json.Marshal(created[0])
	for _, body := range replays {
		if string(body) != string(want) {
			t.Errorf("replayed body:\ngot  %s\nwant %s", body, want)
		}
	}
	if got := countRows(t, db, `SELECT count(*) FROM tickets`); got != 1 {
		t.Errorf("tickets: got %d, want 1", got)
	}

	// The same key with another request is a mismatch, and creates nothing.
	other := in
	other.Idem = &store.Idempotency{Key: "k-1", Hash: "h-2"}
	if _, _, err := db.CreateTicket(ctx, other); !errors.Is(err, store.ErrIdempotencyMismatch) {
		t.Errorf("CreateTicket with the key and another hash: got %v, want ErrIdempotencyMismatch", err)
	}
	// After 24 hours the key is free again.
	if _, err := db.pool.Exec(ctx, `UPDATE idempotency SET created_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateTicket(ctx, other); err != nil {
		t.Errorf("CreateTicket with a day-old key: got %v, want it created", err)
	}
	if got := countRows(t, db, `SELECT count(*) FROM tickets`); got != 2 {
		t.Errorf("tickets: got %d, want 2", got)
	}
}

// TestIdempotentCreateAfterRollback: a request waiting on the key of one that rolls
// back goes ahead and creates.
func TestIdempotentCreateAfterRollback(t *testing.T) {
	ctx := context.Background()
	fast, url := newTestDB(t)
	slow := openTestDB(t, url)
	holding, fail := make(chan struct{}), make(chan struct{})
	slow.hooks.beforeCommit = func(context.Context) error {
		close(holding)
		<-fail
		return errors.New("injected failure before commit")
	}
	in := newTicket(client(1), "retry")
	in.Idem = &store.Idempotency{Key: "k", Hash: "h"}
	slowErr := make(chan error, 1)
	go func() {
		_, _, err := slow.CreateTicket(ctx, in)
		slowErr <- err
	}()
	select {
	case <-holding:
	case err := <-slowErr:
		t.Fatalf("the first create ended before its commit: %v", err)
	}
	type result struct {
		t   store.Ticket
		err error
	}
	second := make(chan result, 1)
	go func() {
		tk, _, err := fast.CreateTicket(ctx, in)
		second <- result{tk, err}
	}()
	waitForLockWait(t, fast)
	close(fail)
	if err := <-slowErr; err == nil {
		t.Fatal("the first create: got nil error, want the injected failure")
	}
	r := <-second
	if r.err != nil {
		t.Fatalf("the second create after the first rolled back: got %v, want it created", r.err)
	}
	if got := countRows(t, fast, `SELECT count(*) FROM tickets`); got != 1 {
		t.Errorf("tickets: got %d, want 1", got)
	}
}

// waitForLockWait waits until some session of the test's database waits for a lock.
func waitForLockWait(t *testing.T, db *DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if countRows(t, db, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`) > 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no session started waiting for a lock within 10s")
}

func countRows(tb testing.TB, db *DB, sql string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := db.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestConcurrentLinkIssueCreatesOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	tk := mustCreate(t, db, newTicket(client(1), "issue"))
	var calls atomic.Int32
	create := func(ctx context.Context, tk store.Ticket) (string, error) {
		calls.Add(1)
		time.Sleep(30 * time.Millisecond) // GitHub is slow
		return "https://github.com/o/r/issues/1", nil
	}
	const n = 8
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			_, err := db.LinkIssue(ctx, agent(1), tk.ID, create)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	var ok, exists int
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrIssueExists):
			exists++
		default:
			t.Errorf("LinkIssue: %v", err)
		}
	}
	if calls.Load() != 1 || ok != 1 || exists != n-1 {
		t.Errorf("got %d create calls, %d linked, %d ErrIssueExists; want 1, 1, %d", calls.Load(), ok, exists, n-1)
	}
	got, err := db.Ticket(ctx, agent(1), tk.ID)
	if err != nil || got.IssueURL == nil {
		t.Fatalf("Ticket after LinkIssue: got issueUrl %v, err %v", got.IssueURL, err)
	}

	// A failing create leaves nothing behind and its error comes back as it was.
	tk2 := mustCreate(t, db, newTicket(client(1), "issue 2"))
	boom := errors.New("github is down")
	if _, err := db.LinkIssue(ctx, agent(1), tk2.ID, func(context.Context, store.Ticket) (string, error) {
		return "", boom
	}); err != boom {
		t.Errorf("LinkIssue with a failing create: got %v, want the create's error unchanged", err)
	}
	if got, _ := db.Ticket(ctx, agent(1), tk2.ID); got.IssueURL != nil {
		t.Errorf("issueUrl after a failed create: got %q, want null", *got.IssueURL)
	}
}

// TestConcurrentBulkDeletesDoNotDeadlock deletes overlapping sets of tickets, each
// listed in its own random order, while status changes and replies run on them.
func TestConcurrentBulkDeletesDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	const tickets = 300
	ids := make([]store.ID, tickets)
	for i := range ids {
		in := newTicket(client(i%7), fmt.Sprintf("t%d", i))
		in.Category = store.Categories[i%len(store.Categories)]
		ids[i] = mustCreate(t, db, in).ID
	}
	var (
		wg      sync.WaitGroup
		deleted atomic.Int64
		errs    = make(chan error, 64)
	)
	for range 6 {
		wg.Go(func() {
			mine := append([]store.ID(nil), ids...)
			rand.Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
			for len(mine) > 0 {
				k := min(len(mine), 40+rand.IntN(80))
				n, err := db.DeleteTickets(ctx, agent(1), mine[:k])
				if err != nil {
					errs <- fmt.Errorf("DeleteTickets: %w", err)
					return
				}
				deleted.Add(int64(n))
				mine = mine[k:]
			}
		})
	}
	for w := range 3 {
		wg.Go(func() {
			for i := w; i < tickets; i += 3 {
				s := store.Statuses[i%len(store.Statuses)]
				_, err := db.UpdateTicket(ctx, agent(1), ids[i], store.TicketUpdate{Status: &s})
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					errs <- fmt.Errorf("UpdateTicket: %w", err)
					return
				}
				_, _, err = db.AddThread(ctx, store.NewThread{Caller: client(i % 7), TicketID: ids[i],
					NewThreadBody: store.NewThreadBody{Message: "still there?"}})
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					errs <- fmt.Errorf("AddThread: %w", err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if deleted.Load() != tickets {
		t.Errorf("deleted: got %d, want %d", deleted.Load(), tickets)
	}
	for _, q := range []string{`SELECT count(*) FROM tickets`, `SELECT count(*) FROM threads`,
		`SELECT coalesce(sum(n), 0) FROM ticket_counts`, `SELECT coalesce(sum(n), 0) FROM ticket_counts_global`} {
		if got := countRows(t, db, q); got != 0 {
			t.Errorf("%s: got %d, want 0", q, got)
		}
	}
}
