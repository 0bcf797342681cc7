package pubsub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/supportd/supportd/store"
)

// DefaultRedisPrefix starts every channel and key the Redis broker uses, so that
// supportd can share a Redis with other applications.
const DefaultRedisPrefix = "supportd:"

const (
	// redisOpTimeout bounds one broker call (go-redis retries included) when the
	// caller's ctx has no earlier deadline: a publish during an outage fails in
	// seconds instead of holding up the relay.
	redisOpTimeout = 5 * time.Second
	// redisDownOpTimeout replaces it while the subscription is down (Redis known
	// unreachable): a publish then fails fast, and the relay goes on sequencing
	// (the events are in the log, which the subscribers poll meanwhile).
	redisDownOpTimeout = 250 * time.Millisecond

	// OpenRedis's connection timeouts, used where the URL sets none. A healthy
	// Redis answers in a millisecond; these only decide how fast a dead one is
	// noticed, and stay under redisOpTimeout so a call can fail cleanly in time.
	redisDialTimeout  = 3 * time.Second
	redisReadTimeout  = 3 * time.Second
	redisWriteTimeout = 3 * time.Second
)

// RedisOptions configure a Redis broker; the zero value is ready to use.
type RedisOptions struct {
	// Prefix starts every channel and key name; empty means DefaultRedisPrefix.
	Prefix string
	// Logger receives subscription trouble and malformed payloads; nil discards.
	Logger *slog.Logger
}

// Redis is the Broker between instances: Redis pub/sub on two channels,
// <prefix>events (a JSON array of events per batch) and <prefix>ephemeral (one
// JSON Ephemeral), and one presence hash per instance, <prefix>presence:<instance>.
//
// Pub/sub is the fast path only: a message published while a subscriber is
// disconnected is lost to it, which is why Subscribed is called on every
// (re)subscription, for the handler to catch up from the event log. A handler
// too slow to keep up ends up the same way: Redis cuts a subscriber whose output
// buffer overflows (client-output-buffer-limit pubsub), and the resubscription
// calls Subscribed, as Memory does when its buffer overflows.
type Redis struct {
	client    *redis.Client
	log       *slog.Logger
	prefix    string
	events    string // channel names
	ephemeral string
	closed    atomic.Bool
	up        atomic.Bool // a subscription is confirmed and live (see Connected)

	// Subscription timing; the redis* constants, shortened by tests.
	healthInterval time.Duration
	backoffMin     time.Duration
	backoffMax     time.Duration
}

// NewRedis builds a broker on client. The broker owns client from then on: its
// Close closes client, so one client should back one broker.
func NewRedis(client *redis.Client, opts RedisOptions) *Redis {
	if opts.Prefix == "" {
		opts.Prefix = DefaultRedisPrefix
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Redis{
		client:         client,
		log:            opts.Logger,
		prefix:         opts.Prefix,
		events:         opts.Prefix + "events",
		ephemeral:      opts.Prefix + "ephemeral",
		healthInterval: redisHealthInterval,
		backoffMin:     redisBackoffMin,
		backoffMax:     redisBackoffMax,
	}
}

// OpenRedis connects to the Redis at rawURL (see NewRedisClient) and pings it.
func OpenRedis(ctx context.Context, rawURL string) (*redis.Client, error) {
	client, err := NewRedisClient(rawURL)
	if err != nil {
		return nil, err
	}
	if err := PingClient(ctx, client); err != nil {
		_ = client.Close()
		return nil, err
	}
	return client, nil
}

// NewRedisClient makes a client of the Redis at rawURL (redis:// or rediss://, as
// go-redis parses it), with the timeouts above where the URL sets none, without
// connecting: it dials on first use, so it can be made while Redis is down. The
// error never repeats the URL, which may hold a password.
func NewRedisClient(rawURL string) (*redis.Client, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("pubsub: bad redis URL: %w", err)
	}
	if opt.DialTimeout == 0 {
		opt.DialTimeout = redisDialTimeout
	}
	if opt.ReadTimeout == 0 {
		opt.ReadTimeout = redisReadTimeout
	}
	if opt.WriteTimeout == 0 {
		opt.WriteTimeout = redisWriteTimeout
	}
	// Let each call's ctx deadline reach the socket, so redisOpTimeout and the
	// callers' own deadlines really bound the I/O.
	opt.ContextTimeoutEnabled = true
	return redis.NewClient(opt), nil
}

// PingClient pings client within redisOpTimeout.
func PingClient(ctx context.Context, client *redis.Client) error {
	ctx, cancel := context.WithTimeout(ctx, redisOpTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("pubsub: ping redis at %s: %w", client.Options().Addr, err)
	}
	return nil
}

// IsRedisReply reports whether err is an answer of Redis itself (a wrong
// password, an unknown command), not a failure to reach it: a configuration
// error, not an outage.
func IsRedisReply(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}

// Connected reports whether a subscription is confirmed and live: false before
// the first one, and from a failure until the next confirmation.
func (r *Redis) Connected() bool { return r.up.Load() }

// opContext bounds one call by redisOpTimeout, or redisDownOpTimeout while no
// subscription is live.
func (r *Redis) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if r.up.Load() {
		return context.WithTimeout(ctx, redisOpTimeout)
	}
	return context.WithTimeout(ctx, redisDownOpTimeout)
}

// Publish sends evs as one message on <prefix>events.
func (r *Redis) Publish(ctx context.Context, evs []store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	payload, err := encodeEvents(evs)
	if err != nil {
		return fmt.Errorf("pubsub: encode events: %w", err)
	}
	return r.publish(ctx, r.events, payload)
}

// PublishEphemeral sends m on <prefix>ephemeral.
func (r *Redis) PublishEphemeral(ctx context.Context, m Ephemeral) error {
	payload, err := encodeEphemeral(m)
	if err != nil {
		return fmt.Errorf("pubsub: encode ephemeral: %w", err)
	}
	return r.publish(ctx, r.ephemeral, payload)
}

func (r *Redis) publish(ctx context.Context, channel string, payload []byte) error {
	if r.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	if err := r.client.Publish(ctx, channel, payload).Err(); err != nil {
		return fmt.Errorf("pubsub: publish on %s: %w", channel, err)
	}
	return nil
}

// Ping checks Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if r.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := r.opContext(ctx)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("pubsub: ping redis: %w", err)
	}
	return nil
}

// Close closes the client the broker was given; running Subscribe calls then
// return ErrClosed. Later calls of Close do nothing.
func (r *Redis) Close() error {
	if !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	return r.client.Close()
}
