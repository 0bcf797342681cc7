package api

import "testing"

// TestInflightCountsPerCaller: each caller has its own slots, a release given twice
// frees one slot only, and a caller with nothing in progress leaves no entry.
func TestInflightCountsPerCaller(t *testing.T) {
	l := newInflight(2)
	r1, ok1 := l.acquire("a")
	_, ok2 := l.acquire("a")
	if _, ok := l.acquire("a"); !ok1 || !ok2 || ok {
		t.Fatalf("a's acquires: got %v %v %v, want true true false", ok1, ok2, ok)
	}
	rb, ok := l.acquire("b")
	if !ok {
		t.Fatal("b was refused because of a")
	}
	r1()
	r1()
	if _, ok := l.acquire("a"); !ok {
		t.Fatal("a was refused after a release")
	}
	if _, ok := l.acquire("a"); ok {
		t.Fatal("a second release of the same slot freed another one")
	}
	rb()
	if _, ok := l.callers["b"]; ok || len(l.callers) != 1 {
		t.Fatalf("callers: got %v, want only a", l.callers)
	}
}
