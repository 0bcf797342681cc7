package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

const issueURL = "https://github.com/acme/support/issues/7"

// createIssue is a create callback that returns url and remembers what it was given.
type createIssue struct {
	calls atomic.Int32
	got   store.Ticket
	url   string
	err   error
	delay time.Duration
}

func (c *createIssue) create(ctx context.Context, t store.Ticket) (string, error) {
	if c.calls.Add(1) == 1 {
		c.got = t
	}
	time.Sleep(c.delay)
	return c.url, c.err
}

func issueTests() []test {
	return []test{
		{"Links", testLinkIssue},
		{"Exists", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			linked := f.create(f.acme, "linked")
			cb := &createIssue{url: issueURL}
			if _, err := s.LinkIssue(t.Context(), f.ann, linked.ID, cb.create); err != nil {
				t.Fatalf("LinkIssue: %v", err)
			}
			byPut := f.create(f.acme, "set by PUT")
			f.update(f.ann, byPut.ID, store.TicketUpdate{IssueURL: set("https://example.com/1")})
			f.drain()
			for _, id := range []store.ID{linked.ID, byPut.ID} {
				cb := &createIssue{url: "https://example.com/2"}
				if _, err := s.LinkIssue(t.Context(), f.sam, id, cb.create); !errors.Is(err, store.ErrIssueExists) {
					t.Errorf("LinkIssue(linked): got error %v, want ErrIssueExists", err)
				}
				if n := cb.calls.Load(); n != 0 {
					t.Errorf("create calls when linked already: got %d, want 0", n)
				}
			}
			f.noEvents()
		}},
		{"CreateFails", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "unlucky")
			f.drain()
			boom := errors.New("github is down")
			cb := &createIssue{err: boom}
			if _, err := s.LinkIssue(t.Context(), f.ann, tk.ID, cb.create); !errors.Is(err, boom) {
				t.Errorf("LinkIssue with a failing create: got error %v, want %v", err, boom)
			}
			sameJSON(t, "ticket after a failed link", f.ticket(f.acme, tk.ID), tk)
			f.noEvents()
			// Nothing was held back: the next try links.
			cb = &createIssue{url: issueURL}
			if _, err := s.LinkIssue(t.Context(), f.ann, tk.ID, cb.create); err != nil {
				t.Errorf("LinkIssue after a failure: %v", err)
			}
		}},
		{"NotFound", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "Acme's")
			f.drain()
			for _, tc := range []struct {
				caller store.Caller
				id     store.ID
			}{{f.globex, tk.ID}, {f.ann, missingID}} {
				cb := &createIssue{url: issueURL}
				if _, err := s.LinkIssue(t.Context(), tc.caller, tc.id, cb.create); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("LinkIssue(%s by %s): got error %v, want ErrNotFound", tc.id, tc.caller.Name, err)
				}
				if n := cb.calls.Load(); n != 0 {
					t.Errorf("create calls for an invisible ticket: got %d, want 0", n)
				}
			}
			f.noEvents()
		}},
		{"Concurrent", testLinkIssueConcurrent},
		{"AgainAfterClearing", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			tk := f.create(f.acme, "relinked")
			cb := &createIssue{url: issueURL}
			if _, err := s.LinkIssue(t.Context(), f.ann, tk.ID, cb.create); err != nil {
				t.Fatalf("LinkIssue: %v", err)
			}
			f.update(f.ann, tk.ID, store.TicketUpdate{IssueURL: null[string]()})
			cb = &createIssue{url: issueURL + "0"}
			got, err := s.LinkIssue(t.Context(), f.ann, tk.ID, cb.create)
			if err != nil || got.IssueURL == nil || *got.IssueURL != issueURL+"0" {
				t.Errorf("LinkIssue after clearing issueUrl: got %v, %v, want %s", got.IssueURL, err, issueURL+"0")
			}
		}},
	}
}

func testLinkIssue(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Broken export", "export fails", "since Monday")
	f.reply(f.ann, tk.ID, "looking")
	tk = f.ticket(f.ann, tk.ID)
	f.drain()
	first := f.lastEventID() + 1
	pause()

	cb := &createIssue{url: issueURL}
	got, err := s.LinkIssue(t.Context(), f.ann, tk.ID, cb.create)
	if err != nil {
		t.Fatalf("LinkIssue: %v", err)
	}
	if n := cb.calls.Load(); n != 1 {
		t.Errorf("create calls: got %d, want 1", n)
	}
	// The callback sees the whole ticket: the issue's body carries the conversation.
	if cb.got.ID != tk.ID || cb.got.Number != tk.Number || cb.got.Title != tk.Title || len(cb.got.Threads) != 3 {
		t.Errorf("create got ticket %s #%d %q with %d threads, want %s #%d %q with 3", cb.got.ID, cb.got.Number, cb.got.Title, len(cb.got.Threads), tk.ID, tk.Number, tk.Title)
	}
	checkTicketShape(t, got)
	if !got.UpdatedAt.After(tk.UpdatedAt.Time) {
		t.Errorf("updatedAt: got %v, want after %v", got.UpdatedAt, tk.UpdatedAt)
	}
	want := tk
	want.IssueURL, want.UpdatedAt = ptr(issueURL), got.UpdatedAt
	sameJSON(t, "returned ticket", got, want)
	sameJSON(t, "Ticket() after", f.ticket(f.ann, tk.ID), got)
	checkEvents(t, f.sequence(), first, updatedEvent(got))
}

// testLinkIssueConcurrent: racing calls make one issue; the others wait and find it.
func testLinkIssueConcurrent(t *testing.T, s store.Store) {
	f := setup(t, s)
	tk := f.create(f.acme, "Popular")
	f.drain()
	first := f.lastEventID() + 1
	cb := &createIssue{url: issueURL, delay: 50 * time.Millisecond}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		c := f.ann
		if i%2 == 1 {
			c = f.sam
		}
		wg.Go(func() { _, errs[i] = s.LinkIssue(t.Context(), c, tk.ID, cb.create) })
	}
	wg.Wait()
	if n := cb.calls.Load(); n != 1 {
		t.Errorf("create calls: got %d, want 1", n)
	}
	var ok, exists int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrIssueExists):
			exists++
		default:
			t.Errorf("LinkIssue: unexpected error %v", err)
		}
	}
	if ok != 1 || exists != 9 {
		t.Errorf("outcomes: got %d linked and %d ErrIssueExists, want 1 and 9", ok, exists)
	}
	got := f.ticket(f.ann, tk.ID)
	if got.IssueURL == nil || *got.IssueURL != issueURL {
		t.Errorf("issueUrl: got %v, want %s", got.IssueURL, issueURL)
	}
	checkEvents(t, f.sequence(), first, updatedEvent(got))
}
