package pubsub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/supportd/supportd/store"
)

const (
	// maxErrorText bounds the error text kept with an attempt.
	maxErrorText = 200
	// flushEvery and flushBatch bound how long and how many successful deliveries
	// wait before their position and attempts are saved in one statement: a write
	// per event would make the store, not the endpoint, the pace of a webhook. A
	// crash re-sends at most this much (at least once, never lost).
	flushEvery = 200 * time.Millisecond
	flushBatch = 50
	// minStoreWait is storeWait's floor: the default Renew.
	minStoreWait = time.Second
)

// progress is one webhook's delivery state between saves.
type progress struct {
	l       store.WebhookLease
	pos     int64 // the last event delivered or passed over
	saved   int64 // the position last saved
	pending []store.Delivery
	flushed time.Time
	// saving receives the result of the save in flight (nil: none): successes are
	// saved in the background, one save at a time, so that a busy store does not
	// stall deliveries.
	saving chan error
}

// deliverAll delivers one webhook's events from its position until ctx ends or its
// lease is lost. Events of types the webhook did not choose are passed over.
func (d *Deliverer) deliverAll(ctx context.Context, l store.WebhookLease) {
	p := &progress{l: l, pos: l.Position, saved: l.Position, flushed: time.Now()}
	defer func() {
		if p.saving != nil {
			<-p.saving
		}
		// Save what was delivered, if the lease still allows: fewer re-sends. Always,
		// since the save in flight may have been cut short by ctx.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.storeWait())
		defer cancel()
		_ = d.store.RecordDeliveries(fctx, p.l, d.cfg.Owner, p.pending, p.pos)
	}()
	for ctx.Err() == nil {
		wake := d.tail.woken() // before reading, so a write after the read still wakes us
		evs, err := d.read(ctx, p.pos)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("reading events for a webhook failed", "webhook", l.ID, "err", err)
			}
			d.sleep(ctx, d.cfg.Renew, nil)
			continue
		}
		if len(evs) == 0 {
			d.metrics.setPending(l.ID, time.Time{})
			if d.flush(ctx, p, false, true) != nil {
				return
			}
			d.sleep(ctx, d.cfg.Renew, wake)
			continue
		}
		for _, ev := range evs {
			if wants(l.Events, ev.Type) {
				d.metrics.setPending(l.ID, ev.At.Time)
				if err := d.deliver(ctx, p, ev); err != nil {
					if errors.Is(err, store.ErrLeaseLost) {
						d.log.Info("webhook lease lost", "webhook", l.ID)
					}
					return
				}
			}
			p.pos = ev.ID
			due := len(p.pending) >= flushBatch || time.Since(p.flushed) >= flushEvery
			if d.flush(ctx, p, false, due) != nil {
				return
			}
		}
	}
}

// read returns the events after `after`: from the shared tail when it covers them.
func (d *Deliverer) read(ctx context.Context, after int64) ([]store.Event, error) {
	if evs, ok := d.tail.after(after, webhookPage); ok {
		return evs, nil
	}
	rctx, cancel := context.WithTimeout(ctx, d.storeWait())
	defer cancel()
	return d.store.EventsAfter(rctx, after, webhookPage)
}

// storeWait bounds one read or save of a webhook's goroutine: Renew, but never
// under minStoreWait, since a short lease makes Renew shorter than a busy
// database's answer. Saves are guarded by the lease in the database, so a longer
// wait never lets a lost lease write.
func (d *Deliverer) storeWait() time.Duration { return max(d.cfg.Renew, minStoreWait) }

func wants(types []store.EventType, t store.EventType) bool { return slices.Contains(types, t) }

// sleep waits for dur, ctx's end or wake (nil: never).
func (d *Deliverer) sleep(ctx context.Context, dur time.Duration, wake <-chan struct{}) {
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-wake:
	}
}

// deliver POSTs ev until the endpoint answers 2xx, backing off exponentially.
// Nothing is skipped: a failing endpoint holds its webhook at this event, retried
// without end, until it answers or the webhook is replayed or deleted. Failed
// attempts are saved at once (with the deliveries before them); the 2xx joins the
// pending batch. It returns only ctx's error or store.ErrLeaseLost.
func (d *Deliverer) deliver(ctx context.Context, p *progress, ev store.Event) error {
	body, err := store.Envelope(ev, true)
	if err != nil {
		// A stored payload that is not JSON cannot be sent as the contract says;
		// record why and pass over it rather than block the webhook forever.
		d.log.Error("encoding an event for a webhook failed", "event", ev.ID, "err", err)
		p.pending = append(p.pending, store.Delivery{EventID: ev.ID, Attempt: 1, Error: "unencodable event", At: store.At(time.Now())})
		return nil
	}
	backoff := d.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		// No request starts unless the lease is known to hold past the next renewal.
		for time.Until(d.leaseEnd()) <= d.cfg.Renew {
			if d.sleep(ctx, d.cfg.Renew, nil); ctx.Err() != nil {
				return ctx.Err()
			}
		}
		a := d.post(ctx, p.l, ev, body, attempt)
		if ctx.Err() != nil {
			return ctx.Err() // cut short by shutdown or lease loss: not an attempt
		}
		p.pending = append(p.pending, a)
		if a.Error == "" {
			d.metrics.delay.Observe(time.Since(ev.At.Time).Seconds())
			return nil
		}
		if err := d.flush(ctx, p, true, true); err != nil {
			return err
		}
		d.sleep(ctx, backoff, nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		backoff = min(2*backoff, d.cfg.MaxBackoff)
	}
}

// flush collects the save in flight if it ended (its error: the lease was lost, or
// ctx ended) and, when due, starts the next. wait waits for the save in flight and
// for the new one: failed attempts are saved before the backoff.
func (d *Deliverer) flush(ctx context.Context, p *progress, wait, due bool) error {
	if p.saving != nil {
		select {
		case err := <-p.saving:
			p.saving = nil
			if err != nil {
				return err
			}
		default:
			if !wait {
				return nil
			}
			err := <-p.saving
			p.saving = nil
			if err != nil {
				return err
			}
		}
	}
	if !due || p.pos == p.saved && len(p.pending) == 0 {
		return nil
	}
	ds, pos := p.pending, p.pos
	p.pending, p.saved, p.flushed = nil, pos, time.Now()
	done := make(chan error, 1)
	go func() { done <- d.save(ctx, p.l, ds, pos) }()
	if wait {
		return <-done
	}
	p.saving = done
	return nil
}

// save stores attempts and a position. A store that fails is retried until it
// answers (or the lease is lost, or ctx ends): a 2xx whose position is not saved
// would go again after a restart.
func (d *Deliverer) save(ctx context.Context, l store.WebhookLease, ds []store.Delivery, pos int64) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, d.storeWait())
		err := d.store.RecordDeliveries(rctx, l, d.cfg.Owner, ds, pos)
		cancel()
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrLeaseLost):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		}
		d.log.Warn("saving a webhook position failed", "webhook", l.ID, "err", err)
		d.sleep(ctx, d.cfg.MinBackoff, nil)
	}
}

// post makes one attempt and returns it as recorded.
func (d *Deliverer) post(ctx context.Context, l store.WebhookLease, ev store.Event, body []byte, attempt int) store.Delivery {
	start := time.Now()
	a := store.Delivery{EventID: ev.ID, Attempt: attempt, At: store.At(start)}
	outcome := outcomeDelivered
	status, err := d.send(ctx, l, ev, body)
	a.Status, a.DurationMs = status, time.Since(start).Milliseconds()
	switch {
	case err != nil && errors.Is(err, context.DeadlineExceeded):
		outcome, a.Error = outcomeTimeout, "timeout"
	case err != nil:
		outcome, a.Error = outcomeNetwork, attemptError(err)
	case status < 200 || status > 299:
		outcome, a.Error = outcomeStatus, "status "+strconv.Itoa(status)
	}
	if len(a.Error) > maxErrorText {
		a.Error = a.Error[:maxErrorText]
	}
	if ctx.Err() == nil {
		d.metrics.attempts.WithLabelValues(outcome).Inc()
	}
	return a
}

func (d *Deliverer) send(ctx context.Context, l store.WebhookLease, ev store.Event, body []byte) (int, error) {
	id := strconv.FormatInt(ev.ID, 10)
	ts := time.Now().Unix()
	sig, err := SignWebhook(l.Secret, id, ts, body)
	if err != nil {
		return 0, err
	}
	// The request ends at the timeout, or when the lease may expire if sooner.
	rctx, cancel := context.WithDeadline(ctx, minTime(time.Now().Add(d.cfg.Timeout), d.leaseEnd()))
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, l.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "supportd-webhooks")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.client.Do(req)
	if err != nil {
		if rctx.Err() != nil && ctx.Err() == nil {
			return 0, context.DeadlineExceeded
		}
		return 0, err
	}
	defer resp.Body.Close()
	// Drain a little, so the connection can be reused; the answer's body is ignored.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
