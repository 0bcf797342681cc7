package store

import (
	"errors"
	"time"
)

// Person is a client account or a support agent, as tickets and threads show them.
type Person struct {
	ID   ID     `json:"_id"`
	Name string `json:"name"`
}

// Caller is who is asking: the subject of a verified token.
type Caller struct {
	ID   ID
	Name string
	Role Role
	// NameAt is when the token that gave Name and Role was issued (its iat); zero when
	// the token had none, which counts as older than any token that has one. Instances
	// remember a person's name only from a token not older than the one that set it,
	// so an old token cannot bring back an old name.
	NameAt time.Time
}

// IsSuperAdmin reports whether the caller is a support agent, who sees every ticket.
func (c Caller) IsSuperAdmin() bool { return c.Role == RoleSuperAdmin }

// Ticket is a support ticket with its conversation.
//
// Threads is nil (and omitted) in ticket.updated events; Unread is nil (and omitted)
// in every event, since it depends on who reads it. Answers carry a ticket's latest
// threads only (ListThreads, TicketThreads): ThreadsTotal counts them all. It is nil
// (and omitted) in every event: ticket.created carries all its threads, and the other
// events say what changed, from which a client keeps its own count.
type Ticket struct {
	ID       ID       `json:"_id"`
	Title    string   `json:"title"`
	Subject  *string  `json:"subject"`
	Category Category `json:"category"`
	Status   Status   `json:"status"`
	Number   int64    `json:"number"`
	API      *string  `json:"api"`
	IssueURL *string  `json:"issueUrl"`
	Assignee *Person  `json:"assignee"`
	Client   Person   `json:"client"`
	Threads  []Thread `json:"threads,omitempty"`
	// ThreadsTotal is how many threads the ticket has, however many Threads shows.
	ThreadsTotal *int `json:"threadsTotal,omitempty"`
	Unread       *int `json:"unread,omitempty"`
	CreatedAt    Time `json:"createdAt"`
	UpdatedAt    Time `json:"updatedAt"`
}

// Thread is one message of a ticket's conversation. A client's thread has a nil
// SuperAdmin; an agent's thread has SuperAdmin set and Client = the ticket's client.
type Thread struct {
	ID          ID      `json:"_id"`
	Message     string  `json:"message"`
	SeenAt      *Time   `json:"seenAt"`
	TicketID    ID      `json:"supportTicket"`
	Client      Person  `json:"client"`
	SuperAdmin  *Person `json:"superAdmin"`
	Attachments []ID    `json:"attachments"`
	CreatedAt   Time    `json:"createdAt"`
	UpdatedAt   Time    `json:"updatedAt"`
}

// ListThreads and TicketThreads are how many of a ticket's latest threads a list item
// and a single ticket carry: the rest is paged with Store.Threads, so that an answer's
// size does not grow with the conversation.
const (
	ListThreads   = 20
	TicketThreads = 100
)

// ThreadPage is one page of a ticket's conversation, oldest first; HasMore tells
// whether older threads remain.
type ThreadPage struct {
	Threads []Thread
	HasMore bool
}

// ErrNotThread: a page's before is not a thread of that ticket.
var ErrNotThread = errors.New("before must be a thread of this ticket")

// WrittenBy reports which side wrote the thread.
func (th Thread) WrittenBy() Role {
	if th.SuperAdmin != nil {
		return RoleSuperAdmin
	}
	return RoleClient
}

// Counts are the status badges of a ticket list.
type Counts struct {
	All       int64 `json:"all"`
	Open      int64 `json:"open"`
	Closed    int64 `json:"closed"`
	Pending   int64 `json:"pending"`
	Progress  int64 `json:"progress"`
	Resolved  int64 `json:"resolved"`
	Cancelled int64 `json:"cancelled"`
}

// Add counts n tickets of status s, keeping the derived totals in step.
func (c *Counts) Add(s Status, n int64) {
	switch s {
	case StatusPending:
		c.Pending += n
	case StatusProgress:
		c.Progress += n
	case StatusResolved:
		c.Resolved += n
	case StatusCancelled:
		c.Cancelled += n
	}
	c.Open = c.Pending + c.Progress
	c.Closed = c.Resolved + c.Cancelled
	c.All = c.Open + c.Closed
}

// Of returns the count of one status.
func (c Counts) Of(s Status) int64 {
	switch s {
	case StatusPending:
		return c.Pending
	case StatusProgress:
		return c.Progress
	case StatusResolved:
		return c.Resolved
	case StatusCancelled:
		return c.Cancelled
	}
	return 0
}
