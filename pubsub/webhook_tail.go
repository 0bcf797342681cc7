package pubsub

import (
	"context"
	"sort"
	"sync"

	"github.com/supportd/supportd/store"
)

const (
	// tailEvents and tailBytes bound the deliverer's copy of the newest events
	// (its array may hold up to about a quarter more that were dropped, until
	// append moves the live ones: see appendLocked).
	tailEvents = 20000
	tailBytes  = 16 << 20
	// tailPage is how many events one poll reads at a time.
	tailPage = 1000
)

// tail is the newest part of the event log, read once per instance and shared by
// every webhook goroutine: a webhook that keeps pace reads here, not from the store,
// so twenty webhooks cost one read of each event rather than twenty, and their
// reads do not queue for database connections behind the writes they follow.
// Goroutines further behind than the tail read the store.
type tail struct {
	mu    sync.Mutex
	base  int64         // the tail holds the events after base
	last  int64         // up to last; base == last: empty
	evs   []store.Event // in id order
	bytes int
	ready bool
	wake  chan struct{} // closed when last grows
}

func newTail() *tail { return &tail{wake: make(chan struct{})} }

// poll reads what the log has after the tail and appends it; it reports whether the
// tail grew.
func (t *tail) poll(ctx context.Context, st WebhookStore) error {
	t.mu.Lock()
	ready, last := t.ready, t.last
	t.mu.Unlock()
	if !ready {
		newest, err := st.LastEventID(ctx)
		if err != nil {
			return err
		}
		t.mu.Lock()
		t.base, t.last, t.ready = newest, newest, true
		t.mu.Unlock()
		return nil
	}
	for {
		evs, err := st.EventsAfter(ctx, last, tailPage)
		if err != nil || len(evs) == 0 {
			return err
		}
		t.append(evs)
		last = evs[len(evs)-1].ID
		if len(evs) < tailPage {
			return nil
		}
	}
}

// offer appends a batch this instance's relay just sequenced, when it continues
// the tail exactly: the webhooks then get it without waiting for the next poll or
// for a database connection. Anything else is left to the poll.
func (t *tail) offer(evs []store.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready && len(evs) > 0 && evs[0].ID == t.last+1 {
		t.appendLocked(evs)
	}
}

func (t *tail) append(evs []store.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.appendLocked(evs)
}

// appendLocked adds the events above the tail's last, in order.
func (t *tail) appendLocked(evs []store.Event) {
	grew := false
	for _, e := range evs {
		if e.ID <= t.last {
			continue // already here: a poll and an offer brought it both
		}
		t.evs = append(t.evs, e)
		t.bytes += len(e.Data)
		t.last, grew = e.ID, true
	}
	if !grew {
		return
	}
	drop := 0
	for len(t.evs)-drop > tailEvents || t.bytes > tailBytes && drop < len(t.evs) {
		t.bytes -= len(t.evs[drop].Data)
		drop++
	}
	if drop > 0 {
		t.base = t.evs[drop-1].ID
		// Reslice, not copy: a full tail drops a few events per batch, and copying
		// the 20,000 others each time cost a REST write more CPU (in garbage) than
		// the rest of it. append moves the live events to a new array when the
		// room behind them runs out (every ~len/4 events), which also frees the
		// dropped ones. Nothing is cleared in place: webhook goroutines may still
		// read a page that after handed out.
		t.evs = t.evs[drop:]
	}
	close(t.wake)
	t.wake = make(chan struct{})
}

// after returns up to limit events after pos and true when the tail covers pos;
// false sends the caller to the store.
func (t *tail) after(pos int64, limit int) ([]store.Event, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ready || pos < t.base || pos > t.last {
		return nil, false
	}
	i := sort.Search(len(t.evs), func(i int) bool { return t.evs[i].ID > pos })
	end := min(i+limit, len(t.evs))
	// The events are never changed once read: the goroutines share them.
	return t.evs[i:end:end], true
}

// woken returns a channel closed when the tail next grows.
func (t *tail) woken() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.wake
}
