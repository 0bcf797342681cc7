package store

import "time"

// The rules both implementations share, so that they cannot drift apart.

// Reopens reports whether a reply by c moves the ticket back to pending: only a
// client's reply does, and only on a resolved or cancelled ticket.
func Reopens(c Caller, current Status) bool {
	return c.Role == RoleClient && current.Closed()
}

// SeeableBy reports whether c marking th seen may set its seenAt: threads written by
// the other side that nobody on c's side has seen yet.
func SeeableBy(c Caller, th Thread) bool {
	return th.WrittenBy() != c.Role && th.SeenAt == nil
}

// UnreadFor counts the threads c's side has not seen.
func UnreadFor(c Caller, threads []Thread) int {
	n := 0
	for _, th := range threads {
		if SeeableBy(c, th) {
			n++
		}
	}
	return n
}

// seenIDsPerRequest is how many thread ids of one seen call cost one request of the
// caller's rate budget: marking 1,000 threads is many lookups, not one.
const seenIDsPerRequest = 100

// SeenCost is what a seen call (REST or socket) of n thread ids draws from the
// caller's budget of requests: one per started hundred ids.
func SeenCost(n int) int { return max(1, (n+seenIDsPerRequest-1)/seenIDsPerRequest) }

// Owner is whose the new ticket is: a client's ticket is its own, whatever Client
// says; a super admin's belongs to the client it names.
func (in NewTicket) Owner() ID {
	if in.Caller.IsSuperAdmin() {
		return in.Client
	}
	return in.Caller.ID
}

// Visible reports whether c may see a ticket of client owner.
func Visible(c Caller, owner ID) bool {
	return c.Role == RoleSuperAdmin || c.ID == owner
}

// IdempotencyWindow is how long a create's idempotency key is remembered: the
// contract promises 24 hours; an older key counts as never used.
const IdempotencyWindow = 24 * time.Hour

// ApplyUpdate changes t by u (but not Assignee, which needs the person's name, nor
// UpdatedAt) and returns the status it had before. It copies what it keeps, so that
// the caller's update and the ticket never share memory.
func ApplyUpdate(t *Ticket, u TicketUpdate) (previous Status) {
	previous = t.Status
	if u.Title != nil {
		t.Title = *u.Title
	}
	if u.Category != nil {
		t.Category = *u.Category
	}
	if u.Status != nil {
		t.Status = *u.Status
	}
	if u.Subject.Set {
		t.Subject = ClonePtr(u.Subject.Value)
	}
	if u.API.Set {
		t.API = ClonePtr(u.API.Value)
	}
	if u.IssueURL.Set {
		t.IssueURL = ClonePtr(u.IssueURL.Value)
	}
	return previous
}

// BuildThread is the thread body makes on ticket t, written at by c, whose name is
// name: the one way both stores build a new thread. Its attachments are never nil
// and never the caller's slice.
func BuildThread(id ID, t Ticket, c Caller, name string, body NewThreadBody, at Time) Thread {
	th := Thread{
		ID:          id,
		Message:     body.Message,
		TicketID:    t.ID,
		Client:      t.Client,
		Attachments: append(make([]ID, 0, len(body.Attachments)), body.Attachments...),
		CreatedAt:   at,
		UpdatedAt:   at,
	}
	if c.IsSuperAdmin() {
		th.SuperAdmin = &Person{ID: c.ID, Name: name}
	}
	return th
}

// ClonePtr copies what p points to, so that a stored value never shares memory with
// a caller's (both stores keep the tickets they are given, one in memory).
func ClonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
