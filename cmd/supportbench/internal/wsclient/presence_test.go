package wsclient

import "testing"

func TestPresenceViewFollowsListsAndChanges(t *testing.T) {
	r := NewRoster([]string{"a0", "a1", "a2", "a3"}, 2)
	v := &PresenceView{}
	check := func(step string, n, tail int64) {
		t.Helper()
		if got, gotTail := v.N.Load(), v.Tail.Load(); got != n || gotTail != tail {
			t.Errorf("%s: view holds %d (%d of the tail), want %d (%d)", step, got, gotTail, n, tail)
		}
	}
	v.apply(r, []byte(`{"type":"presence","data":{"online":[{"_id":"a0","name":"x"},{"_id":"a2","name":"y"},{"_id":"other","name":"z"}]}}`), true, 1)
	check("list", 2, 1)
	v.apply(r, []byte(`{"type":"presence.changed","data":{"joined":[{"_id":"a1","name":"x"},{"_id":"a3","name":"w"}],"left":[{"_id":"a0","name":"x"}]}}`), false, 2)
	check("changes", 3, 2)
	v.apply(r, []byte(`{"type":"presence.changed","data":{"joined":[{"_id":"a1","name":"x"}],"left":[]}}`), false, 3)
	check("a join of someone online", 3, 2)
	v.apply(r, []byte(`{"type":"presence.changed","data":{"left":[{"_id":"a3","name":"w] \"_id\":\"a0"}],"joined":[{"_id":"a0","name":"x"}]}}`), false, 3)
	check("left before joined, a name with brackets and quotes", 3, 1)
	v.apply(r, []byte(`{"type":"presence","data":{"online":[]}}`), true, 4)
	check("empty list", 0, 0)
	v.apply(r, []byte(`{"type":"presence","data":{"agentsOnline":7}}`), true, 5)
	if got := v.Agents.Load(); got != 7 {
		t.Errorf("agentsOnline: got %d, want 7", got)
	}
	if got := v.Frames.Load(); got != 6 {
		t.Errorf("frames: got %d, want 6", got)
	}
	if v.Bad.Load() != 0 {
		t.Errorf("%d frames not understood, want 0", v.Bad.Load())
	}
}
