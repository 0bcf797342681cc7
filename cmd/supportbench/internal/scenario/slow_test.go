package scenario

import (
	"testing"
	"time"
)

func TestParseShare(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want int
		bad  bool
	}{
		{"1%", 1000, 10, false}, {"0.5%", 1000, 5, false}, {"0", 1000, 0, false}, {"7", 1000, 7, false},
		{"100%", 10, 10, false}, {"101%", 10, 0, true}, {"-1", 10, 0, true}, {"11", 10, 0, true}, {"x%", 10, 0, true},
	} {
		got, err := parseShare(c.s, c.n)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("parseShare(%q, %d) = %d, %v", c.s, c.n, got, err)
		}
	}
}

func TestCutTimes(t *testing.T) {
	var seen []time.Duration
	seen = cutTimes(seen, 0, time.Second)
	seen = cutTimes(seen, 2, 2*time.Second)
	seen = cutTimes(seen, 2, 3*time.Second)
	seen = cutTimes(seen, 3, 4*time.Second)
	want := []time.Duration{2 * time.Second, 2 * time.Second, 4 * time.Second}
	if len(seen) != len(want) {
		t.Fatalf("got %v", seen)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("got %v, want %v", seen, want)
		}
	}
}
