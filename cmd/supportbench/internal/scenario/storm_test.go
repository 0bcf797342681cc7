package scenario

import (
	"testing"
	"time"
)

func TestReplayedAt(t *testing.T) {
	hello := time.Unix(100, 0)
	got := map[int]time.Time{1: time.Unix(101, 0), 2: time.Unix(103, 0), 3: time.Unix(99, 0)}
	cases := []struct {
		due  []int
		want time.Time
		ok   bool
	}{
		{nil, hello, true},                     // nothing missed: replayed at hello
		{[]int{1, 2}, time.Unix(103, 0), true}, // the last of them
		{[]int{3}, hello, true},                // arrived before hello (cannot, but never before hello)
		{[]int{1, 4}, time.Time{}, false},      // one never arrived
	}
	for _, c := range cases {
		at, ok := replayedAt(c.due, got, hello)
		if ok != c.ok || !at.Equal(c.want) {
			t.Errorf("replayedAt(%v) = %v, %v; want %v, %v", c.due, at, ok, c.want, c.ok)
		}
	}
}
