package hub

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// snapshotPeople decodes a snapshot's parts as one frame and returns the ids it lists.
func snapshotPeople(t *testing.T, parts [][]byte) []string {
	t.Helper()
	var m struct {
		Type string `json:"type"`
		Data struct {
			Online []store.Person `json:"online"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payloadOf(bytes.Join(parts, nil)), &m); err != nil || m.Type != "presence" {
		t.Fatalf("snapshot %q: type %q, %v", bytes.Join(parts, nil), m.Type, err)
	}
	var ids []string
	for _, p := range m.Data.Online {
		ids = append(ids, string(p.ID))
	}
	slices.Sort(ids)
	return ids
}

func TestOnlineListSnapshotsStayIntactAsPeopleComeAndGo(t *testing.T) {
	var l onlineList
	view := map[store.ID][]byte{}
	show := func(id string) {
		b, _ := json.Marshal(store.Person{ID: store.ID(id), Name: "n " + id})
		view[store.ID(id)] = b
		l.add(b)
	}
	if got := snapshotPeople(t, l.snapshot(view)); len(got) != 0 {
		t.Fatalf("empty view: snapshot lists %v", got)
	}
	show("a")
	show("b")
	first := l.snapshot(view)
	a, b := view["a"], view["b"]
	if want := encodeLists("presence", namedList{"online", [][]byte{a, b}}); !bytes.Equal(bytes.Join(first, nil), want) {
		t.Fatalf("snapshot %q, want encodeLists' %q", bytes.Join(first, nil), want)
	}
	show("c") // appends after the list first holds
	if got := snapshotPeople(t, first); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("a snapshot taken before c joined lists %v, want [a b]", got)
	}
	delete(view, "a")
	l.stale = true
	show("d") // while stale: the rebuild takes it from the view
	if got := snapshotPeople(t, l.snapshot(view)); !slices.Equal(got, []string{"b", "c", "d"}) {
		t.Fatalf("after a left and d joined: %v, want [b c d]", got)
	}
	if got := snapshotPeople(t, first); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("the first snapshot after the rebuild lists %v, want [a b]", got)
	}
}

func TestPresenceBatchGrowsWithThePeopleOnline(t *testing.T) {
	for _, c := range []struct {
		online int
		want   time.Duration
	}{{0, 100 * time.Millisecond}, {1000, 100 * time.Millisecond}, {2500, 250 * time.Millisecond}, {5000, 500 * time.Millisecond}, {50000, 500 * time.Millisecond}} {
		if got := presenceBatchFor(c.online); got != c.want {
			t.Errorf("%d online: batch %v, want %v", c.online, got, c.want)
		}
	}
}
