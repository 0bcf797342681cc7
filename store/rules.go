package store

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

// Visible reports whether c may see a ticket of client owner.
func Visible(c Caller, owner ID) bool {
	return c.Role == RoleSuperAdmin || c.ID == owner
}

// ApplyUpdate changes t by u (but not Assignee, which needs the person's name, nor
// UpdatedAt) and returns the status it had before.
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
		t.Subject = u.Subject.Value
	}
	if u.API.Set {
		t.API = u.API.Value
	}
	if u.IssueURL.Set {
		t.IssueURL = u.IssueURL.Value
	}
	return previous
}
