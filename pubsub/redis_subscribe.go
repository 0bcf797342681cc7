package pubsub

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

const (
	// redisHealthInterval is how long a subscription may stay silent before it
	// sends a PING; no answer within another interval ends the session. A TCP
	// connection cut without a RST (a NAT dropping state, a VM frozen) otherwise
	// waits forever, so a dead link is noticed within two intervals.
	redisHealthInterval = 5 * time.Second

	// redisBackoffMin and redisBackoffMax bound the wait before resubscribing
	// after a failed session, doubling per failure: quick after a blip, one
	// attempt per few seconds while Redis is down, so no instance spins the CPU
	// or hammers a Redis coming back up.
	redisBackoffMin = 100 * time.Millisecond
	redisBackoffMax = 5 * time.Second
)

// errNoPong ends a session whose health-check ping went unanswered.
var errNoPong = errors.New("pubsub: redis subscription answered no ping")

// Subscribe delivers both channels to h until ctx ends, on the calling goroutine,
// and returns nil then (ErrClosed if the broker is closed under it).
//
// Each session is one go-redis PubSub. h.Subscribed is called when Redis has
// confirmed the subscription to both channels, so nothing published afterwards is
// missed by a catch-up the handler starts then. Any receive error or unanswered
// health-check ping ends the session; the next one starts after a backoff and
// calls h.Subscribed again; h.Unsubscribed is called after every session. The
// first failure after a healthy spell (or at start) logs the degraded state once,
// the next confirmed subscription its end. go-redis would also redial and resubscribe by itself
// inside the failing Receive (and its confirmations do arrive as new
// *redis.Subscription messages), but a fresh PubSub per session is what lets a
// silent dead connection be dropped too, and keeps one rule: a new
// subscription is always a new session.
func (r *Redis) Subscribe(ctx context.Context, h Handler) error {
	var (
		failures int       // consecutive sessions that never got subscribed
		downFrom time.Time // zero while healthy
	)
	for {
		subscribed, err := r.session(ctx, h, downFrom)
		r.up.Store(false)
		h.Unsubscribed()
		if ctx.Err() != nil {
			return nil
		}
		if r.closed.Load() {
			return ErrClosed
		}
		if subscribed {
			failures, downFrom = 0, time.Time{}
		}
		if downFrom.IsZero() {
			downFrom = time.Now()
			r.log.Warn("redis unreachable: degraded mode (REST works; sockets get events from the event log by polling, presence is local only)", "err", err)
		} else {
			r.log.Debug("redis subscription still down", "err", err, "attempt", failures+1)
		}
		if !sleepCtx(ctx, r.backoff(failures)) {
			return nil
		}
		failures++
	}
}

// backoff is the wait after n consecutive failures: exponential from backoffMin
// to backoffMax, with jitter so instances cut off together do not come back in
// lockstep.
func (r *Redis) backoff(n int) time.Duration {
	d := r.backoffMax
	if n < 30 && r.backoffMin<<n < r.backoffMax {
		d = r.backoffMin << n
	}
	return d/2 + rand.N(d/2+1)
}

// session runs one PubSub until it fails; subscribed reports whether it got as
// far as a confirmed subscription. downFrom, when set, is when the outage began.
func (r *Redis) session(ctx context.Context, h Handler, downFrom time.Time) (subscribed bool, err error) {
	ps := r.client.Subscribe(ctx) // no channels yet: dial errors are ours to see
	// Receive watches no ctx cancellation (only deadlines), so closing the
	// PubSub is what interrupts a blocked read when ctx ends. The closer is
	// waited for, so no goroutine outlives Subscribe.
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = ps.Close()
		close(closed)
	})
	defer func() {
		if stop() {
			_ = ps.Close()
		} else {
			<-closed
		}
	}()

	if err := ps.Subscribe(ctx, r.events, r.ephemeral); err != nil {
		return false, err
	}
	pinged := false // a health-check ping is unanswered
	for {
		msg, err := ps.ReceiveTimeout(ctx, r.healthInterval)
		if err != nil {
			if !isTimeout(err) || ctx.Err() != nil {
				return subscribed, err
			}
			if pinged {
				return subscribed, errNoPong
			}
			if err := ps.Ping(ctx); err != nil {
				return subscribed, err
			}
			pinged = true
			continue
		}
		pinged = false
		switch msg := msg.(type) {
		case *redis.Subscription:
			// One confirmation per channel, counting the connection's channels:
			// the last one means both are live.
			if msg.Kind == "subscribe" && msg.Count == 2 {
				subscribed = true
				r.up.Store(true)
				if !downFrom.IsZero() {
					r.log.Info("redis reachable again: degraded mode over", "down", time.Since(downFrom).Round(time.Millisecond))
				}
				h.Subscribed()
			}
		case *redis.Message:
			r.deliver(h, msg)
		case *redis.Pong:
			// The health check answered.
		}
	}
}

func (r *Redis) deliver(h Handler, msg *redis.Message) {
	switch msg.Channel {
	case r.events:
		evs, err := decodeEvents([]byte(msg.Payload))
		if err != nil {
			r.log.Warn("skipping malformed events message", "channel", msg.Channel, "bytes", len(msg.Payload), "err", err)
			return
		}
		if len(evs) > 0 {
			h.Events(evs)
		}
	case r.ephemeral:
		m, err := decodeEphemeral([]byte(msg.Payload))
		if err != nil {
			r.log.Warn("skipping malformed ephemeral message", "channel", msg.Channel, "bytes", len(msg.Payload), "err", err)
			return
		}
		h.Ephemeral(m)
	}
}

func isTimeout(err error) bool {
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}

// sleepCtx waits d, or less if ctx ends first; it reports whether ctx is alive.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
