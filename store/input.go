package store

// Idempotency asks a create to happen once per (caller, key): Hash fingerprints the
// request so that the same key with another body can be told apart.
type Idempotency struct {
	Key  string
	Hash string
}

// Replay is the result of a create that the same caller already made with the same
// idempotency key and request: nothing was created, and Body is what was answered
// then. It is a success, not an error.
type Replay struct {
	Body []byte // the JSON of the created ticket or thread
}

// NewThreadBody is one message to add.
type NewThreadBody struct {
	Message     string
	Attachments []ID
}

// NewTicket is a validated insert. Client is the client a super admin names; Owner
// says whose the ticket is.
type NewTicket struct {
	Caller   Caller
	Client   ID
	Title    string
	Subject  *string
	Category Category
	API      *string
	Threads  []NewThreadBody
	Idem     *Idempotency
}

// NewThread is a validated reply to a ticket.
type NewThread struct {
	Caller   Caller
	TicketID ID
	NewThreadBody
	Idem *Idempotency
}

// Patch is an optional, nullable field of an update: Set says it was given, a nil
// Value sets it to null.
type Patch[T any] struct {
	Set   bool
	Value *T
}

// TicketUpdate is a validated PUT: nil pointers and unset patches are left alone.
type TicketUpdate struct {
	Title    *string
	Category *Category
	Status   *Status
	Subject  Patch[string]
	API      Patch[string]
	Assignee Patch[ID]
	IssueURL Patch[string]
}

// Empty reports whether the update changes nothing.
func (u TicketUpdate) Empty() bool {
	return u.Title == nil && u.Category == nil && u.Status == nil &&
		!u.Subject.Set && !u.API.Set && !u.Assignee.Set && !u.IssueURL.Set
}

// ListFilter selects and orders a page of tickets. Client and Assignee apply to super
// admins only; a client's scope is always its own tickets.
type ListFilter struct {
	Page     int // from 1
	Limit    int // 1..100
	Status   *Status
	Category *Category
	Client   *ID
	Assignee *ID
	Words    []string // every word must occur in the title, subject or a thread message
	Sort     Sort
	Counts   bool // also count by status, over every filter but Status
}

// TicketPage is one page of a list.
type TicketPage struct {
	Tickets []Ticket
	Total   int64
	Counts  *Counts
}
