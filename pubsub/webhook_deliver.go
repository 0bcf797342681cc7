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

// maxErrorText bounds the error text kept with an attempt.
const maxErrorText = 200

// deliverAll delivers one webhook's events from its position until ctx ends or its
// lease is lost. Events of types the webhook did not choose are passed over: the
// position moves past them with the next delivery, or at the end of a page.
func (d *Deliverer) deliverAll(ctx context.Context, l store.WebhookLease) {
	pos := l.Position
	for ctx.Err() == nil {
		wake := d.woken() // before reading, so a write after the read still wakes us
		evs, err := d.read(ctx, pos)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("reading events for a webhook failed", "webhook", l.ID, "err", err)
			}
			d.sleep(ctx, d.cfg.Renew, nil)
			continue
		}
		if len(evs) == 0 {
			d.metrics.setPending(l.ID, time.Time{})
			d.sleep(ctx, d.cfg.Renew, wake)
			continue
		}
		passed := pos
		for _, ev := range evs {
			if !wants(l.Events, ev.Type) {
				passed = ev.ID
				continue
			}
			d.metrics.setPending(l.ID, ev.At.Time)
			if err := d.deliver(ctx, l, ev); err != nil {
				if errors.Is(err, store.ErrLeaseLost) {
					d.log.Info("webhook lease lost", "webhook", l.ID)
				}
				return
			}
			pos, passed = ev.ID, ev.ID
		}
		if passed > pos {
			if err := d.record(ctx, l, passed, nil, true); err != nil {
				return
			}
			pos = passed
		}
	}
}

func (d *Deliverer) read(ctx context.Context, after int64) ([]store.Event, error) {
	rctx, cancel := context.WithTimeout(ctx, d.cfg.Renew)
	defer cancel()
	return d.store.EventsAfter(rctx, after, webhookPage)
}

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

// deliver POSTs ev until the endpoint answers 2xx, backing off exponentially, and
// then moves the position past it. Nothing is skipped: a failing endpoint holds its
// webhook at this event, retried without end, until it answers, it is replayed
// elsewhere or deleted. It returns only ctx's error or store.ErrLeaseLost.
func (d *Deliverer) deliver(ctx context.Context, l store.WebhookLease, ev store.Event) error {
	body, err := store.Envelope(ev, true)
	if err != nil {
		// A stored payload that is not JSON cannot be sent as the contract says;
		// record why and pass over it rather than block the webhook forever.
		d.log.Error("encoding an event for a webhook failed", "event", ev.ID, "err", err)
		return d.record(ctx, l, ev.ID, &store.Delivery{Attempt: 1, Error: "unencodable event", At: store.At(time.Now())}, true)
	}
	backoff := d.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		// No request starts unless the lease is known to hold past the next renewal.
		for time.Until(d.leaseEnd()) <= d.cfg.Renew {
			if d.sleep(ctx, d.cfg.Renew, nil); ctx.Err() != nil {
				return ctx.Err()
			}
		}
		a := d.post(ctx, l, ev, body, attempt)
		if ctx.Err() != nil {
			return ctx.Err() // cut short by shutdown or lease loss: not an attempt
		}
		ok := a.Error == ""
		if ok {
			d.metrics.delay.Observe(time.Since(ev.At.Time).Seconds())
		}
		err := d.record(ctx, l, ev.ID, &a, ok)
		if errors.Is(err, store.ErrLeaseLost) || ok && err != nil {
			return err
		}
		if ok {
			return nil
		}
		d.sleep(ctx, backoff, nil)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		backoff = min(2*backoff, d.cfg.MaxBackoff)
	}
}

// record saves an attempt and the position. After a 2xx the position must be saved
// (or the event would go again): a failing store is retried until it answers.
func (d *Deliverer) record(ctx context.Context, l store.WebhookLease, eventID int64, a *store.Delivery, advance bool) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, d.cfg.Renew)
		err := d.store.RecordDelivery(rctx, l, d.cfg.Owner, eventID, a, advance)
		cancel()
		switch {
		case err == nil || errors.Is(err, store.ErrLeaseLost):
			return err
		case ctx.Err() != nil:
			return ctx.Err()
		case !advance:
			return err // a failed attempt left unrecorded: the retry records its own
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
		outcome, a.Error = outcomeNetwork, err.Error()
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
