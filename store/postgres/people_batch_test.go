package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// While an upsert runs, the callers who arrive share the next one.
func TestRememberBatchSharesOneUpsertBetweenCallersWhoWait(t *testing.T) {
	var b rememberBatch
	release := make(chan struct{})
	var calls atomic.Int32
	var sizes sync.Map
	exec := func(_ context.Context, people []store.Caller) (map[store.ID]error, error) {
		n := calls.Add(1)
		sizes.Store(n, len(people))
		if n == 1 {
			<-release
		}
		return nil, nil
	}
	ctx := context.Background()
	first := startRunning(&b, exec, &calls)
	var wg sync.WaitGroup
	for i := 1; i <= 30; i++ {
		wg.Go(func() {
			if err := b.remember(ctx, agent(i), exec); err != nil {
				t.Error(err)
			}
		})
	}
	// Let the 30 line up behind the running upsert.
	for {
		b.mu.Lock()
		n := 0
		if b.next != nil {
			n = len(b.next.people)
		}
		b.mu.Unlock()
		if n == 30 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 2 {
		t.Fatalf("%d upserts for 31 callers, want 2", got)
	}
	if n, _ := sizes.Load(int32(2)); n != 30 {
		t.Fatalf("the second upsert had %v people, want 30", n)
	}
}

// A queue longer than rememberBatchMax is split: no upsert carries more people.
func TestRememberBatchSplitsAtItsCap(t *testing.T) {
	var b rememberBatch
	release := make(chan struct{})
	var calls atomic.Int32
	var mu sync.Mutex
	var sizes []int
	exec := func(_ context.Context, people []store.Caller) (map[store.ID]error, error) {
		if calls.Add(1) == 1 {
			<-release
		}
		mu.Lock()
		sizes = append(sizes, len(people))
		mu.Unlock()
		return nil, nil
	}
	first := startRunning(&b, exec, &calls)
	n := rememberBatchMax + 10
	var wg sync.WaitGroup
	var queued atomic.Int32
	for i := range n {
		wg.Go(func() {
			queued.Add(1)
			if err := b.remember(context.Background(), agent(i+1), exec); err != nil {
				t.Error(err)
			}
		})
	}
	for queued.Load() < int32(n) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let them reach the queue
	close(release)
	wg.Wait()
	<-first
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, size := range sizes[1:] {
		if size > rememberBatchMax {
			t.Fatalf("an upsert of %d people, want at most %d", size, rememberBatchMax)
		}
		total += size
	}
	if total != n || len(sizes) < 3 {
		t.Fatalf("upserts %v after the first: %d people in %d, want %d in at least 2", sizes[1:], total, len(sizes)-1, n)
	}
}

// The upsert runs on its leader's goroutine but not under its context: a
// leader whose request ends does not fail the callers who joined it.
func TestRememberBatchLeaderGivingUpDoesNotFailTheOthers(t *testing.T) {
	var b rememberBatch
	release := make(chan struct{})
	var calls atomic.Int32
	exec := func(ctx context.Context, people []store.Caller) (map[store.ID]error, error) {
		if calls.Add(1) == 2 {
			<-release
		}
		if ctx.Err() == nil {
			return nil, nil
		}
		failed := map[store.ID]error{}
		for _, c := range people {
			failed[c.ID] = ctx.Err()
		}
		return failed, ctx.Err()
	}
	bg := context.Background()
	// A first upsert runs, so that the canceled leader and the follower line up
	// together behind it.
	_ = b.remember(bg, agent(0), exec)
	calls.Store(1)
	ctx, cancel := context.WithCancel(bg)
	leader := make(chan error, 1)
	go func() { leader <- b.remember(ctx, agent(1), exec) }()
	for calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	follower := make(chan error, 1)
	go func() { follower <- b.remember(bg, agent(2), exec) }()
	cancel()
	close(release)
	if err := <-follower; err != nil {
		t.Fatalf("follower: %v, want nil", err)
	}
	<-leader
}

// Callers who waited behind an upsert that the database failed whole fail with
// it, without a second try: a 503 after one timeout, not two.
func TestRememberBatchAfterADownDatabaseFailsAtOnce(t *testing.T) {
	var b rememberBatch
	down := errors.New("database down")
	release := make(chan struct{})
	var calls atomic.Int32
	exec := func(_ context.Context, people []store.Caller) (map[store.ID]error, error) {
		calls.Add(1)
		<-release
		failed := map[store.ID]error{}
		for _, c := range people {
			failed[c.ID] = down
		}
		return failed, down
	}
	ctx := context.Background()
	first := startRunning(&b, exec, &calls)
	second := make(chan error, 1)
	go func() { second <- b.remember(ctx, agent(1), exec) }()
	for {
		b.mu.Lock()
		queued := b.next != nil
		b.mu.Unlock()
		if queued {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-first; !errors.Is(err, down) {
		t.Fatalf("first: %v, want %v", err, down)
	}
	if err := <-second; !errors.Is(err, down) {
		t.Fatalf("second: %v, want %v", err, down)
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("%d upserts, want 1", got)
	}
}

// startRunning has agent 0 lead an upsert on b and returns its result once exec
// has been called (counted in calls).
func startRunning(b *rememberBatch, exec func(context.Context, []store.Caller) (map[store.ID]error, error), calls *atomic.Int32) <-chan error {
	first := make(chan error, 1)
	go func() { first <- b.remember(context.Background(), agent(0), exec) }()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	return first
}

// Against PostgreSQL: many people at once, each twice with different names, and
// one more whose name the database refuses (a NUL byte): every other call
// succeeds, and each person keeps the name of their newest token.
func TestRememberPersonConcurrentlyKeepsTheNewestNames(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := context.Background()
	base := time.Now().Truncate(time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 100 {
		for v := range 2 {
			c := store.Caller{ID: store.ID(fmt.Sprintf("%024x", 0xb0000+i)), Name: fmt.Sprintf("Person %d v%d", i, v), Role: store.RoleSuperAdmin, NameAt: base.Add(time.Duration(v) * time.Second)}
			wg.Go(func() {
				if err := db.RememberPerson(ctx, c); err != nil {
					errs <- fmt.Errorf("%s %q: %w", c.ID, c.Name, err)
				}
			})
		}
	}
	wg.Go(func() {
		if err := db.RememberPerson(ctx, store.Caller{ID: "0000000000000000000bad00", Name: "bad\x00name", Role: store.RoleClient}); err == nil {
			errs <- nil
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil {
			t.Fatal("a name with a NUL byte was stored")
		}
		t.Fatalf("a call failed with the NUL name's: %v", err)
	}
	for i := range 100 {
		p, _, err := db.Person(ctx, store.ID(fmt.Sprintf("%024x", 0xb0000+i)))
		want := fmt.Sprintf("Person %d v1", i)
		if err != nil || p.Name != want {
			t.Fatalf("person %d: %q, %v; want %q", i, p.Name, err, want)
		}
	}
}
