package scenario

import (
	"testing"
	"time"
)

func TestOpForMix(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want [numOps]int
	}{
		{"read", [numOps]int{500, 500, 0, 0}},
		{"write", [numOps]int{0, 0, 500, 500}},
		{"mix", [numOps]int{400, 400, 100, 100}},
	} {
		var got [numOps]int
		for n := range uint64(1000) {
			got[opFor(tc.mode, n)]++
		}
		if got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.mode, got, tc.want)
		}
	}
	// Reads alternate list and get in mix mode too.
	if opFor("mix", 0) != opList || opFor("mix", 1) != opGet || opFor("mix", 8) != opCreate || opFor("mix", 9) != opReply {
		t.Error("mix: unexpected order in a block of ten")
	}
	for _, m := range []string{"read", "write", "mix"} {
		if !validMode(m) {
			t.Errorf("%s not valid", m)
		}
	}
	if validMode("reads") || validMode("") {
		t.Error("invalid mode accepted")
	}
}

func TestChoose(t *testing.T) {
	const clients, admins, per, n = 50, 5, 3, 20000
	var nAdmin int
	seenClient := map[int]bool{}
	for i := range uint64(n) {
		c := choose(42, i, 0.2, clients, admins, per)
		if c.admin {
			nAdmin++
			if c.who < 0 || c.who >= admins || c.ticket < 0 || c.ticket >= clients*per {
				t.Fatalf("admin choice out of range: %+v", c)
			}
		} else {
			if c.who < 0 || c.who >= clients || c.ticket < 0 || c.ticket >= per {
				t.Fatalf("client choice out of range: %+v", c)
			}
			seenClient[c.who] = true
		}
		if c != choose(42, i, 0.2, clients, admins, per) {
			t.Fatal("choose is not deterministic")
		}
	}
	if share := float64(nAdmin) / n; share < 0.18 || share > 0.22 {
		t.Errorf("admin share %.3f, want about 0.2", share)
	}
	if len(seenClient) != clients {
		t.Errorf("%d of %d clients chosen", len(seenClient), clients)
	}
	if c := choose(1, 1, 0.5, clients, 0, per); c.admin {
		t.Error("admin chosen with no admins")
	}
	if c := choose(1, 1, 1, clients, admins, per); !c.admin {
		t.Error("client chosen with admin share 1")
	}
}

func TestRowOf(t *testing.T) {
	var took []time.Duration
	for i := 100; i >= 1; i-- {
		took = append(took, time.Duration(i)*time.Millisecond)
	}
	r := rowOf(took, map[string]int{"200": 99, "500": 1}, 10*time.Second)
	if r.N != 100 || r.P50 != 50 || r.P95 != 95 || r.P99 != 99 || r.Max != 100 || r.PerSec != 10 || r.Errors != 1 {
		t.Errorf("got %+v", r)
	}
}
