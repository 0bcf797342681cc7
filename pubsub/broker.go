package pubsub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/supportd/supportd/store"
)

// Ephemeral is a message between instances that is not recorded: typing, and the
// news that presence changed somewhere.
type Ephemeral struct {
	Type     string          `json:"type"`               // "typing" or "presence"
	TicketID store.ID        `json:"ticketId,omitempty"` // typing: the ticket
	ClientID store.ID        `json:"clientId,omitempty"` // typing: the ticket's client, the audience besides super admins
	From     store.ID        `json:"from,omitempty"`     // typing: the sender, whose own sockets do not get it back
	Data     json.RawMessage `json:"data,omitempty"`     // typing: {user, role}
	Instance string          `json:"instance,omitempty"` // the instance that published it
}

// Handler receives what a subscription carries. Its methods are called from one
// goroutine, in the order the messages arrived.
type Handler interface {
	// Events is a published batch of sequenced events, in id order.
	Events([]store.Event)
	// Ephemeral is a typing or presence message.
	Ephemeral(Ephemeral)
	// Subscribed is called each time the subscription starts or restarts: anything
	// published while it was down was missed, and must be read from the event log.
	Subscribed()
	// Unsubscribed is called when a subscription attempt fails or a live one
	// ends: until the next Subscribed nothing arrives, and the event log is the
	// only source of events.
	Unsubscribed()
}

// Broker carries events and ephemeral messages to every instance, and keeps the
// presence of super admins shared between them.
type Broker interface {
	// Publish sends a batch of sequenced events to every subscriber, this instance's too.
	Publish(ctx context.Context, evs []store.Event) error
	// PublishEphemeral sends an ephemeral message to every subscriber.
	PublishEphemeral(ctx context.Context, m Ephemeral) error
	// Subscribe delivers to h until ctx ends, reconnecting after failures; it
	// returns nil when ctx ends.
	Subscribe(ctx context.Context, h Handler) error
	// SetPresence records the super admins with sockets on this instance, valid
	// for ttl unless set again: an instance that dies drops out after ttl.
	SetPresence(ctx context.Context, instance string, online []store.Person, ttl time.Duration) error
	// Presence is the union of every live instance's super admins except those of
	// instance except ("" for none), sorted by id. An instance leaves its own out:
	// it knows its own agents better than its last write says.
	Presence(ctx context.Context, except string) ([]store.Person, error)
	// Ping checks the broker answers (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the broker's connections.
	Close() error
}
