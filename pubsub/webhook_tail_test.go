package pubsub

import (
	"encoding/json"
	"testing"

	"github.com/supportd/supportd/store"
)

// fillTail offers n events after the tail's last, in batches of batch.
func fillTail(t *tail, n, batch int) {
	for n > 0 {
		k := min(batch, n)
		evs := make([]store.Event, k)
		for i := range evs {
			evs[i] = store.Event{ID: t.last + int64(i) + 1, Type: store.EventThreadAdded, Data: json.RawMessage(`{"m":"hello"}`)}
		}
		t.offer(evs)
		n -= k
	}
}

func TestTailKeepsTheNewestEventsWithinItsBound(t *testing.T) {
	tl := newTail()
	tl.ready = true
	fillTail(tl, 3*tailEvents+7, 25)
	if len(tl.evs) != tailEvents {
		t.Fatalf("tail holds %d events, want the bound %d", len(tl.evs), tailEvents)
	}
	if tl.last != 3*tailEvents+7 || tl.base != tl.last-tailEvents {
		t.Fatalf("tail covers (%d, %d], want (%d, %d]", tl.base, tl.last, tl.last-tailEvents, tl.last)
	}
	for i, e := range tl.evs {
		if e.ID != tl.base+int64(i)+1 {
			t.Fatalf("event %d has id %d, want %d", i, e.ID, tl.base+int64(i)+1)
		}
	}
	if _, ok := tl.after(tl.base-1, 10); ok {
		t.Fatal("a position before the tail's base must go to the store")
	}
	page, ok := tl.after(tl.base, 10)
	if !ok || len(page) != 10 || page[0].ID != tl.base+1 {
		t.Fatalf("after(base) = %d events from %v, %v", len(page), page, ok)
	}
}

// A webhook goroutine reads a page without the lock: later appends, which drop
// events from the front, must not change it.
func TestTailPageHandedOutStaysAsItWasWhileTheTailMovesOn(t *testing.T) {
	tl := newTail()
	tl.ready = true
	fillTail(tl, tailEvents, 25)
	page, ok := tl.after(tl.base, webhookPage)
	if !ok {
		t.Fatal("tail does not cover its own base")
	}
	want := append([]store.Event(nil), page...)
	fillTail(tl, 2*tailEvents, 25)
	for i := range want {
		if page[i].ID != want[i].ID || string(page[i].Data) != string(want[i].Data) {
			t.Fatalf("page event %d changed from %d to %d", i, want[i].ID, page[i].ID)
		}
	}
}

// BenchmarkTailOfferFull measures a relay batch of 25 offered to a full tail,
// which drops as many from its front.
func BenchmarkTailOfferFull(b *testing.B) {
	tl := newTail()
	tl.ready = true
	fillTail(tl, tailEvents, 1000)
	evs := make([]store.Event, 25)
	b.ReportAllocs()
	for b.Loop() {
		for i := range evs {
			evs[i] = store.Event{ID: tl.last + int64(i) + 1, Type: store.EventThreadAdded}
		}
		tl.offer(evs)
	}
}
