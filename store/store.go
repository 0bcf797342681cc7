package store

import (
	"context"
	"time"
)

// Store is supportd's data. Every method that changes tickets writes the change and
// its events (see event.go) in one transaction. Methods taking a Caller see only what
// that caller may see: a client's own tickets, or every ticket for a super admin;
// anything else is ErrNotFound.
type Store interface {
	// RememberPerson records the caller's id, role and latest name.
	RememberPerson(ctx context.Context, c Caller) error
	// Person returns a remembered person and their role, or ErrNotFound.
	Person(ctx context.Context, id ID) (Person, Role, error)

	// CreateTicket inserts a ticket with its first threads (status pending, the next
	// number from 1001 on). With in.Idem set, when the caller used the key before
	// (within IdempotencyWindow), it creates nothing and returns a *Replay of the same
	// request's answer, or ErrIdempotencyMismatch for another request.
	CreateTicket(ctx context.Context, in NewTicket) (Ticket, *Replay, error)
	// Ticket returns one ticket with its latest TicketThreads threads, oldest first,
	// ThreadsTotal, and Unread for the caller (over every thread).
	Ticket(ctx context.Context, c Caller, id ID) (Ticket, error)
	// TicketClient returns the client of a ticket c may see, or ErrNotFound: a cheap
	// check of ownership that reads nothing else of the ticket.
	TicketClient(ctx context.Context, c Caller, id ID) (ID, error)
	// ListTickets returns one page WITHOUT threads (Threads nil), with ThreadsTotal and
	// Unread for the caller: LatestThreads loads them a few tickets at a time, so that
	// a page's conversations need not be held in memory all at once.
	ListTickets(ctx context.Context, c Caller, f ListFilter) (TicketPage, error)
	// LatestThreads returns the latest n threads of each ticket among ids that c may
	// see, oldest first; a ticket without threads has no entry.
	LatestThreads(ctx context.Context, c Caller, ids []ID, n int) (map[ID][]Thread, error)
	// Threads returns up to limit threads of a ticket c may see that are older than
	// before (the newest when before is nil), oldest first. Order is by createdAt,
	// then id. ErrNotFound when the ticket is not c's to see; ErrNotThread when before
	// is not one of its threads.
	Threads(ctx context.Context, c Caller, id ID, before *ID, limit int) (ThreadPage, error)
	// AddThread appends a reply and bumps updatedAt; a client's reply reopens a closed
	// ticket to pending. Idempotency as for CreateTicket.
	AddThread(ctx context.Context, in NewThread) (Thread, *Replay, error)
	// UpdateTicket applies a PUT (the caller's right to each field is checked before).
	UpdateTicket(ctx context.Context, c Caller, id ID, u TicketUpdate) (Ticket, error)
	// DeleteTickets deletes the visible tickets among ids with their threads and
	// returns how many went.
	DeleteTickets(ctx context.Context, c Caller, ids []ID) (int, error)
	// MarkSeen sets seenAt, once, on the visible threads among ids written by the
	// other side; it records one threads.seen event per ticket that changed.
	MarkSeen(ctx context.Context, c Caller, threadIDs []ID, at time.Time) error
	// LinkIssue holds the ticket exclusively while create runs, so that concurrent
	// calls make one issue: ErrIssueExists when the ticket has an issueUrl already,
	// else it stores the URL create returns and records ticket.updated.
	LinkIssue(ctx context.Context, c Caller, id ID, create func(context.Context, Ticket) (string, error)) (Ticket, error)

	// SequenceEvents numbers the committed events that have no id yet, in commit
	// order, fills in counts data, and returns them.
	SequenceEvents(ctx context.Context) ([]Event, error)
	// EventsAfter returns up to limit sequenced events with an id above after, in order.
	EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error)
	// ClientEventsAfter is EventsAfter for the events of one client's tickets: what a
	// client's socket replays, without reading every other client's events.
	ClientEventsAfter(ctx context.Context, client ID, after int64, limit int) ([]Event, error)
	// LastEventID is the newest sequenced event id, 0 when there is none (it never
	// goes back, even when old events are pruned).
	LastEventID(ctx context.Context) (int64, error)
	// PruneEvents deletes sequenced events older than before. It may stop early
	// (ctx ended) with part deleted: the count is of what was.
	PruneEvents(ctx context.Context, before time.Time) (int64, error)

	// Ping checks the store answers.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close()
}
