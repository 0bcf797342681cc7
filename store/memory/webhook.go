package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/supportd/supportd/store"
)

var _ store.Webhooks = (*Store)(nil)

// webhooks is the in-memory store's integrations data. It has a lock of its own:
// deliveries must not wait behind ticket writes, and nothing here spans both.
type webhooks struct {
	mu         sync.Mutex
	hooks      []*hook // oldest first
	deliveries map[string]bool
}

type hook struct {
	store.WebhookLease
	owner    string
	expires  time.Time
	attempts []store.Delivery // oldest first, at most store.MaxDeliveries
}

func (s *Store) findHook(id store.ID) (*hook, int) {
	for i, h := range s.hooks.hooks {
		if h.ID == id {
			return h, i
		}
	}
	return nil, -1
}

// CreateWebhook stores w; delivery starts after the newest event.
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) (store.Webhook, error) {
	last, _ := s.LastEventID(ctx)
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	w.CreatedAt = store.At(s.now())
	w.ID = s.ids.New(w.CreatedAt.Time)
	w.Events = slices.Clone(w.Events)
	s.hooks.hooks = append(s.hooks.hooks, &hook{WebhookLease: store.WebhookLease{Webhook: w, Position: last}})
	return w, nil
}

// ListWebhooks returns every webhook without its secret.
func (s *Store) ListWebhooks(context.Context) ([]store.Webhook, error) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := []store.Webhook{}
	for _, h := range s.hooks.hooks {
		w := h.Webhook
		w.Secret, w.Events = "", slices.Clone(w.Events)
		out = append(out, w)
	}
	return out, nil
}

// DeleteWebhook deletes a webhook with its attempts.
func (s *Store) DeleteWebhook(_ context.Context, id store.ID) error {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	_, i := s.findHook(id)
	if i < 0 {
		return store.ErrNotFound
	}
	s.hooks.hooks = slices.Delete(s.hooks.hooks, i, i+1)
	return nil
}

// Deliveries returns a webhook's most recent attempts, newest first.
func (s *Store) Deliveries(_ context.Context, id store.ID, limit int) ([]store.Delivery, error) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	h, _ := s.findHook(id)
	if h == nil {
		return nil, store.ErrNotFound
	}
	out := []store.Delivery{}
	for i := len(h.attempts) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, h.attempts[i])
	}
	return out, nil
}

// ReplayWebhook moves the position and bumps the generation.
func (s *Store) ReplayWebhook(_ context.Context, id store.ID, from int64) error {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	h, _ := s.findHook(id)
	if h == nil {
		return store.ErrNotFound
	}
	h.Position = from
	h.Generation++
	return nil
}

// LeaseWebhooks takes the free and expired leases and renews owner's own.
func (s *Store) LeaseWebhooks(_ context.Context, owner string, ttl time.Duration) ([]store.WebhookLease, error) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	now := s.now()
	var out []store.WebhookLease
	for _, h := range s.hooks.hooks {
		if h.owner == owner || h.owner == "" || h.expires.Before(now) {
			h.owner, h.expires = owner, now.Add(ttl)
			l := h.WebhookLease
			l.Events = slices.Clone(l.Events)
			out = append(out, l)
		}
	}
	return out, nil
}

// ReleaseWebhooks frees owner's leases.
func (s *Store) ReleaseWebhooks(_ context.Context, owner string) error {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	for _, h := range s.hooks.hooks {
		if h.owner == owner {
			h.owner = ""
		}
	}
	return nil
}

// RecordDeliveries records attempts and sets the position, if owner still holds
// the webhook at the lease's generation.
func (s *Store) RecordDeliveries(_ context.Context, l store.WebhookLease, owner string, ds []store.Delivery, position int64) error {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	h, _ := s.findHook(l.ID)
	if h == nil || h.owner != owner || h.Generation != l.Generation {
		return store.ErrLeaseLost
	}
	h.Position = position
	h.attempts = append(h.attempts, ds...)
	if over := len(h.attempts) - store.MaxDeliveries; over > 0 {
		h.attempts = slices.Clone(h.attempts[over:])
	}
	return nil
}

// OldestEventID is the oldest id kept, or the next id when the log is empty.
func (s *Store) OldestEventID(context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events.log) == 0 {
		return s.events.last + 1, nil
	}
	return s.events.log[0].ID, nil
}

// TicketByIssueURL finds the ticket linked to a GitHub issue (the oldest, if more).
func (s *Store) TicketByIssueURL(_ context.Context, url string) (store.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var found *store.Ticket
	for _, t := range s.tickets {
		if t.IssueURL != nil && *t.IssueURL == url && (found == nil || t.CreatedAt.Before(found.CreatedAt.Time)) {
			found = t
		}
	}
	if found == nil {
		return "", store.ErrNotFound
	}
	return found.ID, nil
}

// ClaimGitHubDelivery records a delivery id and reports whether it was new.
func (s *Store) ClaimGitHubDelivery(_ context.Context, id string) (bool, error) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	if s.hooks.deliveries == nil {
		s.hooks.deliveries = map[string]bool{}
	}
	if s.hooks.deliveries[id] {
		return false, nil
	}
	s.hooks.deliveries[id] = true
	return true, nil
}

// ReleaseGitHubDelivery forgets a delivery id.
func (s *Store) ReleaseGitHubDelivery(_ context.Context, id string) error {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	delete(s.hooks.deliveries, id)
	return nil
}
