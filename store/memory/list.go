package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/supportd/supportd/store"
)

// ListTickets returns one page of the tickets c may see that match f.
func (s *Store) ListTickets(_ context.Context, c store.Caller, f store.ListFilter) (store.TicketPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	words := lowerWords(f.Words)
	var counts store.Counts
	var matched []*store.Ticket
	for _, t := range s.tickets {
		if !store.Visible(c, t.Client.ID) || !matches(c, t, f, words) {
			continue
		}
		// Counts cover every filter but Status, so that status tabs can show badges.
		counts.Add(t.Status, 1)
		if f.Status == nil || t.Status == *f.Status {
			matched = append(matched, t)
		}
	}
	slices.SortFunc(matched, byOrder(f.Sort))

	page := store.TicketPage{Tickets: []store.Ticket{}, Total: int64(len(matched))}
	if f.Counts {
		page.Counts = &counts
	}
	limit := f.Limit
	if limit < 1 {
		limit = 10 // the contract's default; the API always sets one
	}
	from, to := pageBounds(f.Page, limit, len(matched))
	for _, t := range matched[from:to] {
		page.Tickets = append(page.Tickets, s.viewLatest(t, c, 0))
	}
	return page, nil
}

// pageBounds is the part [from, to) of n items that page (1-based) of limit covers.
// A page past the end, however large, is empty: (page-1)*limit is computed only when
// it is at most n, so it cannot overflow.
func pageBounds(page, limit, n int) (from, to int) {
	skip := max(page, 1) - 1
	if skip > n/limit {
		return n, n
	}
	from = skip * limit
	return from, from + min(limit, n-from)
}

// matches applies every filter of f but Status. Client and Assignee are a super
// admin's filters: a client's scope is always its own tickets.
func matches(c store.Caller, t *store.Ticket, f store.ListFilter, words []string) bool {
	if f.Category != nil && t.Category != *f.Category {
		return false
	}
	if c.IsSuperAdmin() {
		if f.Client != nil && t.Client.ID != *f.Client {
			return false
		}
		if f.Assignee != nil && (t.Assignee == nil || t.Assignee.ID != *f.Assignee) {
			return false
		}
	}
	for _, w := range words {
		if !containsWord(t, w) {
			return false
		}
	}
	return true
}

// containsWord reports whether the lower-case word w occurs in t's title, subject or
// a thread's message: each word may be found in a different place.
func containsWord(t *store.Ticket, w string) bool {
	if strings.Contains(strings.ToLower(t.Title), w) {
		return true
	}
	if t.Subject != nil && strings.Contains(strings.ToLower(*t.Subject), w) {
		return true
	}
	for _, th := range t.Threads {
		if strings.Contains(strings.ToLower(th.Message), w) {
			return true
		}
	}
	return false
}

func lowerWords(words []string) []string {
	var out []string
	for _, w := range words {
		if w != "" {
			out = append(out, strings.ToLower(w))
		}
	}
	return out
}

// byOrder sorts by the field of o, ties broken by number in the same direction, so
// that pages never overlap when times are equal (they are kept to the millisecond).
func byOrder(o store.Sort) func(a, b *store.Ticket) int {
	if o.Field == "" {
		o = store.DefaultSort
	}
	return func(a, b *store.Ticket) int {
		var c int
		switch o.Field {
		case "createdAt":
			c = a.CreatedAt.Compare(b.CreatedAt.Time)
		case "updatedAt":
			c = a.UpdatedAt.Compare(b.UpdatedAt.Time)
		}
		c = cmp.Or(c, cmp.Compare(a.Number, b.Number))
		if o.Desc {
			return -c
		}
		return c
	}
}
