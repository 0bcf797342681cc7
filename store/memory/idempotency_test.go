package memory

import (
	"errors"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

func TestIdempotencyExpires(t *testing.T) {
	s := New()
	now := time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	acme := store.Caller{ID: "aaaaaaaaaaaaaaaaaaaaaaa1", Name: "Acme", Role: store.RoleClient}
	if err := s.RememberPerson(t.Context(), acme); err != nil {
		t.Fatal(err)
	}
	in := store.NewTicket{Caller: acme, Title: "once", Category: "other",
		Threads: []store.NewThreadBody{{Message: "hi"}}, Idem: &store.Idempotency{Key: "k", Hash: "h"}}
	first, _, err := s.CreateTicket(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		after    time.Duration
		hash     string
		replay   bool // else a new ticket
		mismatch bool
	}{
		{time.Hour, "h", true, false},
		{24*time.Hour - time.Millisecond, "h", true, false},
		{24*time.Hour - time.Millisecond, "other", false, true},
		{24 * time.Hour, "other", false, false},
	}
	for _, tc := range tests {
		now = first.CreatedAt.Add(tc.after)
		in.Idem.Hash = tc.hash
		got, replay, err := s.CreateTicket(t.Context(), in)
		switch {
		case tc.replay && (err != nil || replay == nil):
			t.Errorf("after %v: got %v, want a replay", tc.after, err)
		case tc.mismatch && !errors.Is(err, store.ErrIdempotencyMismatch):
			t.Errorf("after %v with another hash: got %v, want ErrIdempotencyMismatch", tc.after, err)
		case !tc.replay && !tc.mismatch && (err != nil || replay != nil || got.ID == first.ID):
			t.Errorf("after %v: got ticket %s, %v, want a new ticket", tc.after, got.ID, err)
		}
	}
	// Expired keys are forgotten, not only ignored: the store does not grow forever.
	now = now.Add(25 * time.Hour)
	if _, _, err := s.CreateTicket(t.Context(), store.NewTicket{Caller: acme, Title: "later", Category: "other"}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.idem.entries); n != 0 {
		t.Errorf("idempotency entries a day later: got %d, want 0", n)
	}
}
