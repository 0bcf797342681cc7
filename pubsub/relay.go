// Package pubsub moves events between instances: the relay that sequences and
// publishes what the store recorded, and the brokers that carry it.
package pubsub

import (
	"context"
	"log/slog"
	"sync"
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
	// pruneBudget bounds one pruning: the store deletes in chunks, so one cut
	// short keeps what it deleted and the next goes on from there.
	pruneBudget = time.Minute
	// stepTimeout bounds one sequencing round.
	stepTimeout = 5 * time.Second
	// fullBatch is the most events the PostgreSQL store numbers in one call (its
	// sequenceBatch): a batch this big may have left events behind, so a round
	// goes on; a smaller one numbered everything committed before it began.
	fullBatch = 5000
)

// EventLog is the part of the store the relay uses: it numbers committed events,
// reads the newest id and prunes old events.
type EventLog interface {
	SequenceEvents(ctx context.Context) ([]store.Event, error)
	LastEventID(ctx context.Context) (int64, error)
	PruneEvents(ctx context.Context, before time.Time) (int64, error)
}

// Relay sequences committed events and hands them to publish: in a round that
// a write waits for (Sync), at once after a Kick, and as a safety net every
// sweepInterval. Rounds run one at a time; the writers that ask during one share
// the next (see Coalescer), so N concurrent writes cost about one round.
type Relay struct {
	events    EventLog
	publish   func(context.Context, []store.Event) error
	retention time.Duration
	log       *slog.Logger
	kick      chan struct{}
	rounds    *Coalescer
	// pruneEvery is pruneInterval (tests make it short).
	pruneEvery time.Duration

	// published is held from a batch's numbering until its publish returned: the
	// next round takes it before publishing, so batches are published in id order
	// while the round that numbered one already answers its writers.
	published sync.Mutex
	// publishing counts the publishes in flight; Run waits for them.
	publishing sync.WaitGroup
}

// NewRelay builds a relay; publish receives each sequenced batch in id order.
func NewRelay(events EventLog, publish func(context.Context, []store.Event) error, retention time.Duration, log *slog.Logger) *Relay {
	r := &Relay{events: events, publish: publish, retention: retention, log: log, kick: make(chan struct{}, 1), pruneEvery: pruneInterval}
	r.rounds = NewCoalescer(r.round, stepTimeout)
	return r
}

// Sync waits for a sequencing round that began after the call, so one that
// numbered every event committed before it, and returns the newest event id
// after it: at least the id of each of those events. A write calls it after its
// commit, to answer with its events' ids (read-your-writes). It fails when the
// round fails or ctx ends first; the events are then numbered by a later round.
func (r *Relay) Sync(ctx context.Context) (int64, error) {
	return r.rounds.Do(ctx)
}

// Kick asks for a sequencing round soon; kicks that arrive during a round coalesce
// into one more round, which batches bursts of writes.
func (r *Relay) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run sequences, and prunes the log, until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	defer r.publishing.Wait()
	// Pruning has a goroutine of its own: a long one (a log far past the
	// retention) must not hold up the rounds that kicks ask for.
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		r.pruneOnTicks(ctx)
	}()
	defer func() { <-pruned }()
	sweep := time.NewTicker(sweepInterval)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.kick:
		case <-sweep.C:
		}
		_, _ = r.rounds.Do(ctx) // a failure is logged by round
	}
}

func (r *Relay) pruneOnTicks(ctx context.Context) {
	tick := time.NewTicker(r.pruneEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.prune(ctx)
		}
	}
}

// round numbers and publishes the events committed before it began, and returns
// the newest id. The last batch's newest id is that id when the batch is not
// empty (it numbered everything pending, after every id handed out before);
// otherwise everything was numbered already, maybe by another instance, and the
// log says the newest.
func (r *Relay) round(ctx context.Context) (int64, error) {
	for {
		evs, err := r.events.SequenceEvents(ctx)
		if err != nil {
			r.log.Warn("sequencing events failed", "err", err)
			return 0, err
		}
		if len(evs) == 0 {
			return r.events.LastEventID(ctx)
		}
		r.publishInOrder(evs)
		if len(evs) < fullBatch {
			return evs[len(evs)-1].ID, nil
		}
	}
}

// publishInOrder publishes a numbered batch after the batches numbered before it,
// without holding up the round (its writers answer once their events have ids; the
// publish is the fast path to the sockets, the log the sure one). It returns once
// the previous batch's publish is done, so at most one publish waits per round.
func (r *Relay) publishInOrder(evs []store.Event) {
	r.published.Lock()
	r.publishing.Go(func() {
		defer r.published.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		defer cancel()
		if err := r.publish(ctx, evs); err != nil {
			// Not lost: subscribers catch up from the event log.
			r.log.Warn("publishing events failed", "events", len(evs), "err", err)
		}
	})
}

func (r *Relay) prune(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, pruneBudget)
	defer cancel()
	n, err := r.events.PruneEvents(ctx, time.Now().Add(-r.retention))
	if err != nil {
		r.log.Warn("pruning events failed", "deleted", n, "err", err)
		return
	}
	if n > 0 {
		r.log.Info("pruned old events", "deleted", n)
	}
}
