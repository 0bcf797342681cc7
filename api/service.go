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
func notFound() *Error { return Errorf(CodeNotFound, "Support ticket not found") }

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
		return Errorf(CodeConflict, "Idempotency-Key was already used with another request")
	case errors.Is(err, store.ErrUnavailable):
		return Errorf(CodeServiceUnavailable, "The database is not answering; retry shortly")
	}
	return err
}

// visible answers 404 unless c may see ticket id; it runs before 403 and 400 answers,
// which the contract's order of checks puts after 404.
func (s *Service) visible(ctx context.Context, c store.Caller, id store.ID) error {
	_, err := s.store.TicketClient(ctx, c, id)
	return mapStoreErr(err)
}

// firstVisible returns the 404 when the ticket is not visible, else err.
func (s *Service) firstVisible(ctx context.Context, c store.Caller, id store.ID, err error) error {
	if verr := s.visible(ctx, c, id); verr != nil {
		return verr
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

// CreateTicket inserts a ticket for c: a client's own, or a super admin's for the
// client it names.
func (s *Service) CreateTicket(ctx context.Context, c store.Caller, in insertRequest, idem *store.Idempotency) (store.Ticket, error) {
	nt := in.ticket
	nt.Caller, nt.Client, nt.Idem = c, c.ID, idem
	if c.IsSuperAdmin() {
		if err := s.knownPerson(ctx, *in.client, store.RoleClient, "client"); err != nil {
			return store.Ticket{}, err
		}
		nt.Client = *in.client
	}
	t, err := s.store.CreateTicket(ctx, nt)
	if err != nil {
		s.notifyReplay(ctx, err)
		return store.Ticket{}, mapStoreErr(err)
	}
	s.notify(ctx)
	return t, nil
}

// Reply adds a thread to a ticket.
func (s *Service) Reply(ctx context.Context, in store.NewThread) (store.Thread, error) {
	th, err := s.store.AddThread(ctx, in)
	if err != nil {
		s.notifyReplay(ctx, err)
		return store.Thread{}, mapStoreErr(err)
	}
	s.notify(ctx)
	return th, nil
}

// Update applies a PUT; the role and body checks come after the 404 check.
func (s *Service) Update(ctx context.Context, c store.Caller, id store.ID, o object, bodyErr error) error {
	if bodyErr == nil && !c.IsSuperAdmin() && (o.given("assignee") || o.given("issueUrl")) {
		bodyErr = Errorf(CodeForbidden, "Only support agents may set assignee or issueUrl")
	}
	var u store.TicketUpdate
	if bodyErr == nil {
		u, bodyErr = parseUpdate(o)
	}
	if bodyErr == nil && u.Assignee.Value != nil {
		bodyErr = s.knownPerson(ctx, *u.Assignee.Value, store.RoleSuperAdmin, "assignee")
	}
	if bodyErr != nil {
		return s.firstVisible(ctx, c, id, bodyErr)
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

// notifyReplay notifies for an idempotent replay: the write it repeats committed
// earlier, and its answer carries an id past that write's events too.
func (s *Service) notifyReplay(ctx context.Context, err error) {
	var rep *store.ReplayError
	if errors.As(err, &rep) {
		s.notify(ctx)
	}
}

// TicketClient returns the client of a ticket c may see, or store.ErrNotFound: the
// audience of a typing message.
func (s *Service) TicketClient(ctx context.Context, c store.Caller, id store.ID) (store.ID, error) {
	return s.store.TicketClient(ctx, c, id)
}
