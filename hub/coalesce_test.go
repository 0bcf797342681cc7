package hub

import (
	"slices"
	"testing"

	"github.com/supportd/supportd/store"
)

// Batches that wait in the inbox and continue each other go to a socket in one
// batch (one write), in order; a stale batch among them changes nothing.
func TestQueuedBatchesGoOutAsOneWrite(t *testing.T) {
	h, agent, evs := agentAndEvents(t, 6)
	h.inbox <- evs[2:3]
	h.inbox <- evs[3:5]
	h.inbox <- evs[1:2] // already in the first batch: a duplicate
	h.inbox <- evs[5:6]
	h.takeQueued(evs[0:2])

	agent.wmu.Lock()
	batches := len(agent.waiting)
	agent.wmu.Unlock()
	if batches != 2 {
		t.Errorf("the socket got %d batches, want 2 (1-5 merged, then 6 after the stale one)", batches)
	}
	if got := received(t, agent); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("got ids %v, want 1-6 once each, in order", got)
	}
}

// A backlog goes out in fan-outs of at most coalesceMax events, whole batches each.
func TestQueuedBatchesMergeUpToTheCap(t *testing.T) {
	h, agent, evs := agentAndEvents(t, 70)
	for i := 10; i < 70; i += 10 {
		h.inbox <- evs[i : i+10]
	}
	h.takeQueued(evs[:10])

	agent.wmu.Lock()
	var sizes []int
	for _, b := range agent.waiting {
		sizes = append(sizes, len(b))
	}
	agent.wmu.Unlock()
	if !slices.Equal(sizes, []int{60, 10}) {
		t.Errorf("fan-outs of %v events, want [60 10] (at most %d, whole batches)", sizes, coalesceMax)
	}
	if got := received(t, agent); len(got) != 70 || got[0] != 1 || got[69] != 70 {
		t.Errorf("got %d ids (%v…), want 1-70", len(got), got[:min(3, len(got))])
	}
}

// agentAndEvents is a hub with one registered agent socket and n events of one
// client in its log, not yet fanned out.
func agentAndEvents(t *testing.T, n int) (*Hub, *socket, []store.Event) {
	t.Helper()
	log := &fakeLog{}
	h := newTestHub(t, log)
	agent := registeredAgent(h)
	evs := make([]store.Event, 0, n)
	for range n {
		evs = append(evs, log.add("aaaaaaaaaaaaaaaaaaaaaaaa"))
	}
	return h, agent, evs
}
