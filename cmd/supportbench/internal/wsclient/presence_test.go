package wsclient

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

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

func TestPresenceViewsShareOneReadOfAChange(t *testing.T) {
	r := NewRoster([]string{"a0", "a1", "a2"}, 2)
	change := []byte(`{"type":"presence.changed","data":{"joined":[{"_id":"a2","name":"x"}],"left":[{"_id":"a0","name":"y"}]}}`)
	a, b := &PresenceView{}, &PresenceView{}
	a.apply(r, []byte(`{"type":"presence","data":{"online":[{"_id":"a0","name":"y"},{"_id":"a1","name":"z"}]}}`), true, 1)
	b.apply(r, []byte(`{"type":"presence","data":{"online":[{"_id":"a1","name":"z"},{"_id":"a2","name":"x"}]}}`), true, 1)
	a.apply(r, change, false, 2)
	b.apply(r, append([]byte(nil), change...), false, 2)
	if len(r.cache) != 1 {
		t.Errorf("the roster holds %d reads of the change, want 1", len(r.cache))
	}
	for name, v := range map[string]*PresenceView{"a": a, "b": b} {
		if v.N.Load() != 2 || v.Tail.Load() != 1 {
			t.Errorf("view %s holds %d (%d of the tail), want 2 (1)", name, v.N.Load(), v.Tail.Load())
		}
	}
	other := []byte(`{"type":"presence.changed","data":{"joined":[],"left":[{"_id":"a1","name":"z"}]}}`)
	a.apply(r, other, false, 3)
	if a.N.Load() != 1 {
		t.Errorf("after a second change the view holds %d, want 1", a.N.Load())
	}
}

func TestRosterNumbersHexIdsAndOthers(t *testing.T) {
	ids := []string{"0123456789abcdef01234567", "0123456789abcdef99999999", "plain"}
	r := NewRoster(ids, 3)
	for want, id := range ids {
		if n, ok := r.number([]byte(id)); !ok || n != want {
			t.Errorf("%s: got %d, %v; want %d", id, n, ok, want)
		}
	}
	for _, id := range []string{"0123456789abcdef00000000", "0123456789abcdef", "plainer", ""} {
		if n, ok := r.number([]byte(id)); ok {
			t.Errorf("%q, off the roster, got number %d", id, n)
		}
	}
}

// A list read against the last one (see Roster.list) gives the view a full
// read gives: growing lists, shorter ones, reordered ones, names with brackets,
// ids off the roster.
func TestPresenceListsReadAgainstTheLastGiveWhatAFullReadGives(t *testing.T) {
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("%024x", i*7919)
	}
	r := NewRoster(ids, 30)
	item := func(i int) string {
		if i%9 == 4 {
			return fmt.Sprintf(`{"_id":"off-roster-%d","name":"x"}`, i)
		}
		return fmt.Sprintf(`{"_id":%q,"name":"agent ] %d"}`, ids[i], i)
	}
	frame := func(order []int) []byte {
		parts := make([]string, len(order))
		for k, i := range order {
			parts[k] = item(i)
		}
		return []byte(`{"type":"presence","data":{"online":[` + strings.Join(parts, ",") + `]}}`)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	order := rng.Perm(len(ids))
	lists := [][]int{order[:5], order[:12], order[:3], order[:12], order[:40], order[:0], order[:7]}
	shuffled := slices.Clone(order[:20])
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	lists = append(lists, shuffled, shuffled[:10], append(slices.Clone(shuffled), order[20:25]...), order[:25])
	for step, l := range lists {
		got, want := &PresenceView{}, &PresenceView{}
		got.apply(r, frame(l), true, 1)
		want.apply(NewRoster(ids, 30), frame(l), true, 1)
		if got.N.Load() != want.N.Load() || got.Tail.Load() != want.Tail.Load() || !slices.Equal(got.online, want.online) {
			t.Fatalf("step %d (%d items): view holds %d (%d of the tail), a full read %d (%d)", step, len(l), got.N.Load(), got.Tail.Load(), want.N.Load(), want.Tail.Load())
		}
	}
}
