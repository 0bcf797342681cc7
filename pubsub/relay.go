// Package pubsub moves events between instances: the relay that sequences and
// publishes what the store recorded, and the brokers that carry it.
package pubsub

import (
	"context"
	"log/slog"
	"time"

	"github.com/supportd/supportd/store"
)

const (
	// sweepInterval is how often the relay looks for events nobody sequenced: those
	// of a writer that crashed between its commit and its kick. It bounds how late
	// such an event can be.
	sweepInterval = time.Second
	// pruneInterval is how often events older than the retention are deleted.
	pruneInterval = 10 * time.Minute
	// stepTimeout bounds one sequencing round trip.
	stepTimeout = 5 * time.Second
)

// Relay sequences committed events and hands them to publish, at once after a
// write's Kick and, as a safety net, every sweepInterval.
type Relay struct {
	store     store.Store
	publish   func(context.Context, []store.Event) error
	retention time.Duration
	log       *slog.Logger
	kick      chan struct{}
}

// NewRelay builds a relay; publish receives each sequenced batch in id order.
func NewRelay(st store.Store, publish func(context.Context, []store.Event) error, retention time.Duration, log *slog.Logger) *Relay {
	return &Relay{store: st, publish: publish, retention: retention, log: log, kick: make(chan struct{}, 1)}
}

// Kick asks for a sequencing round soon; kicks that arrive during a round coalesce
// into one more round, which batches bursts of writes.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run sequences until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	prune := time.NewTicker(pruneInterval)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.kick:
		case <-sweep.C:
		case <-prune.C:
			r.prune(ctx)
			continue
		}
		r.step(ctx)
	}
}

func (r *Relay) step(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	evs, err := r.store.SequenceEvents(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("sequencing events failed", "err", err)
		}
		return
	}
	if len(evs) == 0 {
		return
	}
	// A store may sequence in bounded batches: go round again until one is empty.
	r.Kick()
	if err := r.publish(ctx, evs); err != nil {
		// Not lost: subscribers catch up from the event log.
		r.log.Warn("publishing events failed", "events", len(evs), "err", err)
	}
}

func (r *Relay) prune(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	n, err := r.store.PruneEvents(ctx, time.Now().Add(-r.retention))
	if err != nil {
		r.log.Warn("pruning events failed", "err", err)
		return
	}
	if n > 0 {
		r.log.Info("pruned old events", "deleted", n)
	}
}
