package pubsub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// Each caller's answer comes from a call that began after it asked, and callers
// that ask together share calls.
func TestCoalescerAnswersFromALaterCallAndSharesCalls(t *testing.T) {
	var state, calls atomic.Int64
	c := NewCoalescer(func(context.Context) (int64, error) {
		calls.Add(1)
		v := state.Load()
		time.Sleep(2 * time.Millisecond) // a round trip, during which others ask
		return v, nil
	}, time.Second)
	const callers = 100
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			asked := state.Add(1)
			got, err := c.Do(context.Background())
			if err != nil || got < asked {
				t.Errorf("Do after state %d: got %d, %v; want at least %d", asked, got, err, asked)
			}
		})
	}
	wg.Wait()
	if n := calls.Load(); n > callers/4 {
		t.Errorf("%d callers made %d calls, want them shared (at most %d)", callers, n, callers/4)
	}
}

// A caller whose context ends stops waiting; the others still get their answer.
func TestCoalescerCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	c := NewCoalescer(func(context.Context) (int64, error) { <-release; return 7, nil }, time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() { _, err := c.Do(ctx); leader <- err }()
	time.Sleep(10 * time.Millisecond)
	other := make(chan int64, 1)
	go func() { v, _ := c.Do(context.Background()); other <- v }()
	cancel()
	close(release)
	if err := <-leader; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: got %v, want nil or context.Canceled", err)
	}
	if v := <-other; v != 7 {
		t.Fatalf("other caller: got %d, want 7", v)
	}
}

// seqStore numbers "committed" events the way the store does, slowly.
type seqStore struct {
	store.Store // only the methods below are used
	mu          sync.Mutex
	pending     []*int64
	last        int64
	calls       int
}

func (s *seqStore) commit() *int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := new(int64)
	s.pending = append(s.pending, id)
	return id
}

func (s *seqStore) SequenceEvents(context.Context) ([]store.Event, error) {
	time.Sleep(time.Millisecond)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	var out []store.Event
	for _, id := range s.pending {
		s.last++
		*id = s.last
		out = append(out, store.Event{ID: s.last})
	}
	s.pending = nil
	return out, nil
}

func (s *seqStore) LastEventID(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, nil
}

// Sync after a commit returns an id at least the commit's event's, and concurrent
// writers share sequencing rounds.
func TestRelaySyncCoversTheCommitAndBatchesWriters(t *testing.T) {
	st := &seqStore{}
	r := NewRelay(st, func(context.Context, []store.Event) error { return nil }, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	const writers = 50
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			id := st.commit()
			got, err := r.Sync(context.Background())
			st.mu.Lock()
			mine := *id
			st.mu.Unlock()
			if err != nil || mine == 0 || got < mine {
				t.Errorf("Sync: got %d, %v; the write's event is %d", got, err, mine)
			}
		})
	}
	wg.Wait()
	if st.calls > writers/4 {
		t.Errorf("%d writers took %d sequencing calls, want them batched (at most %d)", writers, st.calls, writers/4)
	}
}

// pruneBlocked is a seqStore whose pruning hangs until its context ends.
type pruneBlocked struct {
	*seqStore
	pruning chan struct{} // closed when a pruning has begun
	once    sync.Once
}

func (s *pruneBlocked) PruneEvents(ctx context.Context, _ time.Time) (int64, error) {
	s.once.Do(func() { close(s.pruning) })
	<-ctx.Done()
	return 0, ctx.Err()
}

// A pruning that takes long (a log far past the retention) must not hold up the
// rounds that kicks ask for, and Run still stops with it when its context ends.
func TestRelayRoundsGoOnWhileAPruningRuns(t *testing.T) {
	st := &pruneBlocked{seqStore: &seqStore{}, pruning: make(chan struct{})}
	r := NewRelay(st, func(context.Context, []store.Event) error { return nil }, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	r.pruneEvery = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- r.Run(ctx) }()
	<-st.pruning

	id := st.commit()
	r.Kick()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st.mu.Lock()
		numbered := *id
		st.mu.Unlock()
		if numbered != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a kicked round did not number the commit while a pruning ran")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended, with a pruning running")
	}
}
