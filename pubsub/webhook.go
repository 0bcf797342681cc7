package pubsub

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/store"
)

// WebhookStore is what the deliverer reads and writes: the webhooks with their
// leases and positions, and the event log.
type WebhookStore interface {
	store.Webhooks
	EventsAfter(ctx context.Context, after int64, limit int) ([]store.Event, error)
	LastEventID(ctx context.Context) (int64, error)
}

// WebhookConfig tunes the deliverer; zero fields take the defaults below.
type WebhookConfig struct {
	// Owner names this instance in leases: unique per process.
	Owner string
	// LeaseTTL is how long a lease lasts unrenewed: how soon another instance takes
	// over a dead one's webhooks. Renew is how often leases are renewed and new or
	// replayed webhooks are noticed; it must be well under LeaseTTL, and defaults to
	// a fifteenth of it (leaseRenewals).
	LeaseTTL, Renew time.Duration
	// Poll is how often the log is read for events this instance's relay did not
	// offer (Offer): those written through other instances. It bounds their delay.
	Poll time.Duration
	// MinBackoff doubles after each failed attempt up to MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one request to an endpoint.
	Timeout time.Duration
	// DenyPrivate (WEBHOOK_PRIVATE=deny) refuses every connection to a private or
	// internal address (PrivateAddr): the attempt fails and is retried like any
	// other. Off, receivers on this host or its network work.
	DenyPrivate bool
}

const (
	// defaultLeaseTTL is above defaultTimeout, so that a request normally gets its
	// whole timeout inside the lease (see Deliverer.heldUntil).
	defaultLeaseTTL = 15 * time.Second
	// leaseRenewals is how many renewals fit in a lease by default: a renewal may
	// fail or be slow (it has a third of the TTL) many times before the lease can
	// expire under a live instance, and requests, which end when the lease may,
	// keep most of it.
	leaseRenewals     = 15
	defaultPoll       = 200 * time.Millisecond
	defaultMinBackoff = time.Second
	defaultMaxBackoff = 10 * time.Minute
	defaultTimeout    = 10 * time.Second
	// webhookPage is how many events a webhook's goroutine reads at a time.
	webhookPage = 100
)

func (c *WebhookConfig) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.LeaseTTL, defaultLeaseTTL)
	set(&c.Renew, c.LeaseTTL/leaseRenewals)
	set(&c.Poll, defaultPoll)
	set(&c.MinBackoff, defaultMinBackoff)
	set(&c.MaxBackoff, defaultMaxBackoff)
	set(&c.Timeout, defaultTimeout)
}

// Deliverer POSTs the event log to webhooks: one goroutine per webhook whose lease
// this instance holds, each reading the log from the webhook's stored position, so a
// slow or failing endpoint delays only its own webhook.
type Deliverer struct {
	store   WebhookStore
	cfg     WebhookConfig
	log     *slog.Logger
	client  *http.Client
	metrics *webhookMetrics

	tail *tail

	mu sync.Mutex
	// heldUntil is when this instance's leases may expire: the last successful
	// renewal's start plus the TTL, by the local clock. The database counts the TTL
	// from a moment after that start, so no other instance can take a webhook over
	// before heldUntil. Requests end by then and none starts after it: two instances
	// never have requests of one webhook in flight together, even when this one
	// lost the database but not the endpoint, so order holds across a takeover.
	heldUntil time.Time
}

// NewDeliverer builds a deliverer; reg may be nil.
func NewDeliverer(st WebhookStore, cfg WebhookConfig, log *slog.Logger, reg prometheus.Registerer) *Deliverer {
	cfg.defaults()
	return &Deliverer{
		store: st, cfg: cfg, log: log, metrics: newWebhookMetrics(reg), tail: newTail(),
		// The timeout is per request, on its context (see send).
		client: &http.Client{
			Transport: webhookTransport(cfg.DenyPrivate),
			// A redirect is an answer that is not 2xx: following it would send signed
			// events somewhere nobody registered.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// webhookTransport keeps a connection per webhook alive between its requests:
// Go's default keeps 2 idle per host, and webhooks often share a host, so the
// rest would pay a new connection (and its TIME_WAIT) for every event. With
// denyPrivateAddrs it connects to public addresses only (denyPrivate).
func webhookTransport(denyPrivateAddrs bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1000
	t.MaxIdleConnsPerHost = 100
	if denyPrivateAddrs {
		denyPrivate(t)
	}
	return t
}

// worker is one webhook's delivery goroutine.
type worker struct {
	gen    int64
	cancel context.CancelFunc
	done   chan struct{}
}

// Run delivers until ctx ends, then stops every webhook goroutine and releases its
// leases so that another instance takes over at once.
func (d *Deliverer) Run(ctx context.Context) error {
	workers := map[store.ID]*worker{}
	defer func() {
		for id, w := range workers {
			stopWorker(w)
			d.metrics.drop(id)
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := d.store.ReleaseWebhooks(rctx, d.cfg.Owner); err != nil {
			d.log.Warn("releasing webhook leases failed", "err", err)
		}
	}()
	// The tail has its own goroutine, so that a slow renewal never holds it up.
	tailDone := make(chan struct{})
	go func() {
		defer close(tailDone)
		d.followTail(ctx)
	}()
	defer func() { <-tailDone }()
	renew := time.NewTicker(d.cfg.Renew)
	defer renew.Stop()
	d.lease(ctx, workers)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-renew.C:
			d.lease(ctx, workers)
		}
	}
}

// Offer hands the deliverer a batch the relay just sequenced (nil-safe): webhooks
// that keep pace get it at once. It never blocks.
func (d *Deliverer) Offer(evs []store.Event) {
	if d != nil {
		d.tail.offer(evs)
	}
}

// followTail reads the log's new events into the tail every Poll until ctx ends.
func (d *Deliverer) followTail(ctx context.Context) {
	poll := time.NewTicker(d.cfg.Poll)
	defer poll.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, d.cfg.LeaseTTL/3)
		err := d.tail.poll(pctx, d.store)
		cancel()
		if err != nil && ctx.Err() == nil {
			d.log.Warn("reading new events for webhooks failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}

func ended(w *worker) bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

func stopWorker(w *worker) {
	w.cancel()
	<-w.done
}

// lease renews and takes leases, then makes the goroutines match what is held: a
// new goroutine per new webhook, a restart where a replay bumped the generation,
// and a stop where the webhook went or its lease was lost. When the store does not
// answer, goroutines keep going: their writes are guarded by the lease anyway.
func (d *Deliverer) lease(ctx context.Context, workers map[store.ID]*worker) {
	// A renewal may take longer than Renew when the database is busy; a third of
	// the TTL still leaves time for the next try before the lease can expire.
	lctx, cancel := context.WithTimeout(ctx, d.cfg.LeaseTTL/3)
	defer cancel()
	start := time.Now()
	held, err := d.store.LeaseWebhooks(lctx, d.cfg.Owner, d.cfg.LeaseTTL)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("leasing webhooks failed", "err", err)
		}
		return
	}
	d.mu.Lock()
	d.heldUntil = start.Add(d.cfg.LeaseTTL)
	d.mu.Unlock()
	keep := map[store.ID]bool{}
	for _, l := range held {
		keep[l.ID] = true
		if w, ok := workers[l.ID]; ok {
			if w.gen == l.Generation && !ended(w) {
				continue
			}
			// Replayed (start again from the new position), or its goroutine gave up
			// after losing the lease that is now held again.
			stopWorker(w)
		}
		wctx, cancel := context.WithCancel(ctx)
		w := &worker{gen: l.Generation, cancel: cancel, done: make(chan struct{})}
		workers[l.ID] = w
		d.metrics.setPending(l.ID, time.Time{})
		go func() {
			defer close(w.done)
			d.deliverAll(wctx, l)
		}()
	}
	for id, w := range workers {
		if !keep[id] {
			stopWorker(w)
			delete(workers, id)
			d.metrics.drop(id)
		}
	}
}

// leaseEnd is when the leases may expire (see heldUntil).
func (d *Deliverer) leaseEnd() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.heldUntil
}
