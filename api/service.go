package api

import (
	"context"
	"errors"
	"time"

	"github.com/supportd/supportd/store"
)

// Service applies the rules of the contract on top of the store: who may change
// what, and that every committed change is announced.
type Service struct {
	store  store.Store
	github IssueCreator
	notify func(context.Context)
	now    func() time.Time
}

// NewService wires a service; github may be nil (issue creation answers 503).
// notify is called after every committed write, with the write's context.
func NewService(st store.Store, github IssueCreator, notify func(context.Context), now func() time.Time) *Service {
	return &Service{store: st, github: github, notify: notify, now: now}
}

// notFound is the one answer for a ticket that does not exist or is not the caller's.
func notFound() *store.Error { return store.Errorf(store.CodeNotFound, "Support ticket not found") }

// retryAfterUnavailable is the Retry-After of a 503, in seconds: long enough for a
// broken connection to be replaced or a brief database stall to pass, short enough
// that clients come back before users notice.
const retryAfterUnavailable = "2"

// mapStoreErr turns the store's sentinel errors into the contract's answers. A
// store that is too slow or lost its connection is 503: the write committed whole
// or not at all, so the client may retry (with its Idempotency-Key).
func mapStoreErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return notFound()
	case errors.Is(err, store.ErrIssueExists):
		return badRequest("Issue already created")
	case errors.Is(err, store.ErrIdempotencyMismatch):
		return store.Errorf(store.CodeConflict, "Idempotency-Key was already used with another request")
	case errors.Is(err, store.ErrUnavailable):
		return store.Errorf(store.CodeServiceUnavailable, "The database is not answering; retry shortly")
	}
	return err
}

// MarkSeen marks threads seen for c's side (REST and the WebSocket "seen" message).
func (s *Service) MarkSeen(ctx context.Context, c store.Caller, threadIDs []store.ID) error {
	if err := s.store.MarkSeen(ctx, c, threadIDs, s.now()); err != nil {
		return mapStoreErr(err)
	}
	s.notify(ctx)
	return nil
}

// knownPerson checks that id is a remembered person of role want.
func (s *Service) knownPerson(ctx context.Context, id store.ID, want store.Role, field string) error {
	_, role, err := s.store.Person(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && role != want:
		return badRequest("%s is not known", field)
	case err != nil:
		return err
	}
	return nil
}

// CreateTicket inserts a ticket: a client's own, or a super admin's for the known
// client it names.
//
// A replay (of an earlier create with the same Idempotency-Key) is notified too: the
// write it repeats committed earlier, and its answer carries an id past that write's
// events.
func (s *Service) CreateTicket(ctx context.Context, nt store.NewTicket) (store.Ticket, *store.Replay, error) {
	if nt.Caller.IsSuperAdmin() {
		if err := s.knownPerson(ctx, nt.Client, store.RoleClient, "client"); err != nil {
			return store.Ticket{}, nil, err
		}
	}
	t, rep, err := s.store.CreateTicket(ctx, nt)
	if err != nil {
		return store.Ticket{}, nil, mapStoreErr(err)
	}
	s.notify(ctx)
	return t, rep, nil
}

// Reply adds a thread to a ticket; a replay is notified as CreateTicket's is.
func (s *Service) Reply(ctx context.Context, in store.NewThread) (store.Thread, *store.Replay, error) {
	th, rep, err := s.store.AddThread(ctx, in)
	if err != nil {
		return store.Thread{}, nil, mapStoreErr(err)
	}
	s.notify(ctx)
	return th, rep, nil
}

// Update applies a validated PUT; an assignee must be a known super admin.
func (s *Service) Update(ctx context.Context, c store.Caller, id store.ID, u store.TicketUpdate) error {
	if u.Assignee.Value != nil {
		if err := s.knownPerson(ctx, *u.Assignee.Value, store.RoleSuperAdmin, "assignee"); err != nil {
			return err
		}
	}
	if _, err := s.store.UpdateTicket(ctx, c, id, u); err != nil {
		return mapStoreErr(err)
	}
	s.notify(ctx)
	return nil
}

// Delete deletes the visible tickets among ids and returns how many went.
func (s *Service) Delete(ctx context.Context, c store.Caller, ids []store.ID) (int, error) {
	n, err := s.store.DeleteTickets(ctx, c, ids)
	if err != nil {
		return 0, mapStoreErr(err)
	}
	s.notify(ctx) // even for none: the answer carries the newest id
	return n, nil
}

// TicketClient returns the client of a ticket c may see, or store.ErrNotFound: the
// audience of a typing message.
func (s *Service) TicketClient(ctx context.Context, c store.Caller, id store.ID) (store.ID, error) {
	return s.store.TicketClient(ctx, c, id)
}
