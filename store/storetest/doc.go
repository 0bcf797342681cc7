// Package storetest is the conformance suite every store.Store implementation must pass,
// so that the in-memory dev store and PostgreSQL behave alike.
//
// Where the contract and package store are silent, the suite settles it:
//
//   - Every ticket a store returns (CreateTicket, Ticket, ListTickets, UpdateTicket,
//     LinkIssue) has its threads and a non-nil Unread for the caller; UpdateTicket and
//     LinkIssue return what Ticket would return right after.
//   - Replay.Body is the JSON of what the first call returned (a ticket with its
//     creator's unread, or a thread). Keys share one space per caller across
//     CreateTicket and AddThread; a key reused for another request is a mismatch.
//   - CreateTicket needs a remembered owner (else ErrNotFound); a client's ticket is
//     its own whatever NewTicket.Client says.
//   - Times: an insert's ticket and threads share one createdAt = updatedAt; a reply
//     sets the ticket's updatedAt to the reply's createdAt; every UpdateTicket bumps
//     updatedAt and records ticket.updated, even if nothing differs. MarkSeen moves
//     no updatedAt (threads.seen tells all that changed); seenAt and the event's at
//     are store.At(at). Threads keep insertion order within one millisecond.
//   - Events get ids only from SequenceEvents: until then EventsAfter and LastEventID
//     do not show them, and PruneEvents does not delete them. Counts data is only
//     checked right after a single change (it may be filled at commit or at
//     sequencing). The tickets of a bulk delete and of one MarkSeen, and a
//     threads.seen's ids, are a set: their order is not checked.
//   - PruneEvents deletes by Event.At < before; the suite only prunes a log whose
//     times rise with ids.
//   - The ticket LinkIssue's create receives has its threads; create's error comes
//     back (errors.Is) with nothing written and nothing held.
package storetest
