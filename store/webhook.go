package store

import (
	"context"
	"errors"
	"time"
)

// ErrLeaseLost: the webhook is no longer this deliverer's to deliver (another
// instance took it over, it was deleted, or a replay moved its position).
var ErrLeaseLost = errors.New("webhook lease lost")

// Webhook is an integration's endpoint: every recorded event of its types is POSTed
// to URL, one per request, in id order. Secret is shown only when it is created.
type Webhook struct {
	ID        ID          `json:"_id"`
	URL       string      `json:"url"`
	Events    []EventType `json:"events"`
	Secret    string      `json:"secret,omitempty"`
	CreatedAt Time        `json:"createdAt"`
}

// WebhookLease is a webhook a deliverer holds: its secret, its position (the id of
// the last event delivered or passed over) and its generation, which a replay bumps
// so that the holder starts again from the new position.
type WebhookLease struct {
	Webhook
	Position   int64
	Generation int64
}

// Delivery is one attempt to deliver an event to a webhook. Status is the endpoint's
// HTTP status, 0 when there was no answer; Error says why an attempt failed.
type Delivery struct {
	EventID    int64
	Attempt    int
	Status     int
	Error      string
	DurationMs int64
	At         Time
}

// MaxDeliveries is how many recent attempts are kept per webhook.
const MaxDeliveries = 100

// Webhooks is the integrations' data: outbound webhooks with their positions, leases
// and recent attempts, plus what the inbound GitHub loop-back needs. Both stores
// implement it beside Store.
type Webhooks interface {
	// CreateWebhook stores w with a new ID and CreatedAt (the caller sets URL, Events
	// and Secret) and returns it; delivery starts after the newest event at the time.
	CreateWebhook(ctx context.Context, w Webhook) (Webhook, error)
	// ListWebhooks returns every webhook, oldest first, without secrets.
	ListWebhooks(ctx context.Context) ([]Webhook, error)
	// DeleteWebhook deletes a webhook and its attempts, or returns ErrNotFound.
	DeleteWebhook(ctx context.Context, id ID) error
	// Deliveries returns up to limit recent attempts, newest first, or ErrNotFound.
	Deliveries(ctx context.Context, id ID, limit int) ([]Delivery, error)
	// ReplayWebhook moves the position to from and bumps the generation, or returns
	// ErrNotFound.
	ReplayWebhook(ctx context.Context, id ID, from int64) error

	// LeaseWebhooks takes or renews, for owner and ttl, the lease of every webhook
	// nobody else holds (or whose holder's lease expired), and returns those held.
	LeaseWebhooks(ctx context.Context, owner string, ttl time.Duration) ([]WebhookLease, error)
	// ReleaseWebhooks gives up owner's leases, so that another instance takes over at
	// once rather than after the ttl.
	ReleaseWebhooks(ctx context.Context, owner string) error
	// RecordDeliveries records attempts ds (at most MaxDeliveries, oldest first) and
	// sets the position to position; it returns ErrLeaseLost unless owner still
	// holds the webhook at the lease's generation. Only the MaxDeliveries most recent
	// attempts are kept.
	RecordDeliveries(ctx context.Context, l WebhookLease, owner string, ds []Delivery, position int64) error

	// OldestEventID is the oldest id the log keeps; LastEventID+1 when it is empty.
	OldestEventID(ctx context.Context) (int64, error)
	// TicketByIssueURL returns the id of the ticket whose issueUrl is url, or
	// ErrNotFound.
	TicketByIssueURL(ctx context.Context, url string) (ID, error)
	// ClaimGitHubDelivery records a GitHub delivery id and reports whether it was new;
	// ReleaseGitHubDelivery forgets it again when handling it failed.
	ClaimGitHubDelivery(ctx context.Context, id string) (bool, error)
	ReleaseGitHubDelivery(ctx context.Context, id string) error
}
