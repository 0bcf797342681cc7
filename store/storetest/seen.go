package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func seenTests() []test {
	return []test{
		{"UnreadPerSide", testUnreadPerSide},
		{"Once", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Seen once", "hello")
			f.drain()
			first := f.lastEventID() + 1
			at := time.Now().Add(-time.Minute)
			f.markSeen(f.ann, at, tk.Threads[0].ID)
			want := store.At(at)
			evs := f.sequence()
			checkEvents(t, evs, first, wantEvent{store.EventThreadsSeen, tk.ID, acmeID, store.SeenData{ThreadIDs: []store.ID{tk.Threads[0].ID}, SeenAt: want}})
			if len(evs) == 1 && !evs[0].At.Equal(want.Time) {
				t.Errorf("threads.seen at: got %v, want %v", evs[0].At, want)
			}
			// Seen by another agent later: nothing changes.
			f.markSeen(f.sam, time.Now(), tk.Threads[0].ID)
			f.markSeen(f.ann, time.Now(), tk.Threads[0].ID)
			f.noEvents()
			got := f.ticket(f.acme, tk.ID).Threads[0]
			if got.SeenAt == nil || !got.SeenAt.Equal(want.Time) {
				t.Errorf("seenAt after marking twice: got %v, want the first %v", got.SeenAt, want)
			}
		}},
		{"LeavesOwnAndOthersThreadsAlone", testSeenLeavesAlone},
		{"OneEventPerTicket", testSeenPerTicket},
		{"KeepsUpdatedAt", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Quiet", "hello")
			pause()
			f.markSeen(f.ann, time.Now(), tk.Threads[0].ID)
			got := f.ticket(f.acme, tk.ID)
			if !got.UpdatedAt.Equal(tk.UpdatedAt.Time) {
				t.Errorf("ticket updatedAt after seen: got %v, want unchanged %v", got.UpdatedAt, tk.UpdatedAt)
			}
			if th := got.Threads[0]; !th.UpdatedAt.Equal(tk.Threads[0].UpdatedAt.Time) {
				t.Errorf("thread updatedAt after seen: got %v, want unchanged %v", th.UpdatedAt, tk.Threads[0].UpdatedAt)
			}
		}},
	}
}

func checkUnread(tb testing.TB, f *fixture, id store.ID, want map[store.Caller]int) {
	tb.Helper()
	for c, n := range want {
		tk := f.ticket(c, id)
		if *tk.Unread != n {
			tb.Errorf("unread for %s: got %d, want %d", c.Name, *tk.Unread, n)
		}
	}
}

// testUnreadPerSide: seen by one agent is seen for every agent; each side counts only
// the other side's threads.
func testUnreadPerSide(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Two questions", "q1", "q2")
	checkUnread(t, f, tk.ID, map[store.Caller]int{f.acme: 0, f.ann: 2, f.sam: 2})
	f.markSeen(f.ann, time.Now(), tk.Threads[0].ID)
	checkUnread(t, f, tk.ID, map[store.Caller]int{f.acme: 0, f.ann: 1, f.sam: 1})
	reply := f.reply(f.sam, tk.ID, "an answer")
	checkUnread(t, f, tk.ID, map[store.Caller]int{f.acme: 1, f.ann: 1, f.sam: 1})
	f.markSeen(f.acme, time.Now(), reply.ID)
	checkUnread(t, f, tk.ID, map[store.Caller]int{f.acme: 0, f.ann: 1, f.sam: 1})
	f.markSeen(f.sam, time.Now(), tk.Threads[1].ID)
	checkUnread(t, f, tk.ID, map[store.Caller]int{f.acme: 0, f.ann: 0, f.sam: 0})
}

func testSeenLeavesAlone(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Mine", "q")
	reply := f.reply(f.ann, tk.ID, "an answer")
	tk = f.ticket(f.acme, tk.ID)
	f.drain()
	tests := []struct {
		name string
		by   store.Caller
		id   store.ID
	}{
		{"the client's own thread", f.acme, tk.Threads[0].ID},
		{"an agent's thread, by an agent", f.sam, reply.ID},
		{"another client's ticket", f.globex, reply.ID},
		{"a missing thread", f.ann, missingID},
	}
	for _, tc := range tests {
		f.markSeen(tc.by, time.Now(), tc.id)
		f.noEvents()
		sameJSON(t, tc.name+": ticket after MarkSeen", f.ticket(f.acme, tk.ID), tk)
	}
}

// testSeenPerTicket: one threads.seen per ticket, listing only the threads that changed.
func testSeenPerTicket(t *testing.T, s store.Store) {
	f := setup(t, s)
	a := f.create(f.acme, "a", "a0", "a1")
	aReply := f.reply(f.ann, a.ID, "a answer")
	b := f.create(f.globex, "b", "b0")
	c := f.create(f.acme, "c", "c0")
	f.markSeen(f.sam, time.Now(), c.Threads[0].ID)
	f.drain()
	first := f.lastEventID() + 1

	at := time.Now()
	f.markSeen(f.ann, at, a.Threads[0].ID, b.Threads[0].ID, aReply.ID, c.Threads[0].ID, missingID, a.Threads[1].ID, a.Threads[0].ID)
	seen := func(tk store.Ticket, ids ...store.ID) wantEvent {
		slices.Sort(ids)
		return wantEvent{store.EventThreadsSeen, tk.ID, tk.Client.ID, store.SeenData{ThreadIDs: ids, SeenAt: store.At(at)}}
	}
	want := []wantEvent{seen(a, a.Threads[0].ID, a.Threads[1].ID), seen(b, b.Threads[0].ID)}
	checkEvents(t, sortSeen(t, sortRuns(f.sequence())), first, want...)
}

// sortSeen sorts the thread ids of threads.seen events, which are a set.
func sortSeen(tb testing.TB, evs []store.Event) []store.Event {
	tb.Helper()
	for i, e := range evs {
		if e.Type != store.EventThreadsSeen {
			continue
		}
		var d store.SeenData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			tb.Fatalf("threads.seen data %s: %v", e.Data, err)
		}
		slices.Sort(d.ThreadIDs)
		evs[i].Data = mustJSON(tb, d)
	}
	return evs
}
