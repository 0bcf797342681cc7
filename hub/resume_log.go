package hub

import (
	"context"
	"time"

	"github.com/supportd/supportd/store"
)

const (
	// fillTimeout bounds one read of the log reader. Shorter than logTimeout: the
	// dispatcher gives up on a gap after gapHold anyway, and a read cut short is
	// simply tried again.
	fillTimeout = 2 * time.Second
	// fillRetry is the pause after a failed read, so that a dead database is not
	// asked in a tight loop.
	fillRetry = 250 * time.Millisecond
)

// logFill is one page the log reader read after the cursor.
type logFill struct {
	evs      []store.Event
	started  time.Time // when the read began
	complete bool      // the log held nothing more after evs when the read began
}

// requestFill asks the log reader for a read after the cursor soon.
func (h *Hub) requestFill() {
	select {
	case h.fillReq <- struct{}{}:
	default:
	}
}

// runLogReader is the only part of the live path that reads the database, on a
// goroutine of its own so that nothing it waits for holds up the dispatcher. It
// reads after the cursor when asked (a gap, a new subscription), every
// pollInterval while the subscription is down (the log is then the only path),
// and otherwise checks the log's newest id every catchUpInterval: an event that
// was in the log a whole check ago and still has not come through Redis was lost
// there, so it reads it, and treats a subscription that is connected but silent
// as broken. A failed read is retried after fillRetry.
func (h *Hub) runLogReader(ctx context.Context) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var (
		want      bool      // a read after the cursor is owed
		seenLast  int64     // the log's newest id at the last check
		lastCheck time.Time // when that was
		retryAt   time.Time // no read before, after a failure
	)
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.fillReq:
			want = true
		case <-tick.C:
		}
		now := time.Now()
		if now.Before(retryAt) {
			continue
		}
		if !h.subUp.Load() {
			want, seenLast = true, 0 // polling: nothing to compare with Redis
		} else if !want && now.Sub(lastCheck) >= catchUpInterval {
			lastCheck = now
			if h.cursorNow() < seenLast {
				want = true
				select {
				case h.resub <- struct{}{}:
				default:
				}
			}
			last, err := h.newestInLog(ctx)
			seenLast = last
			if err != nil {
				retryAt = now.Add(fillRetry)
				continue
			}
		}
		if want {
			if err := h.readAfterCursor(ctx); err != nil {
				retryAt = time.Now().Add(fillRetry)
				continue
			}
			want = false
		}
	}
}

// newestInLog reads the log's newest id with the reader's deadline; it logs its
// failure.
func (h *Hub) newestInLog(ctx context.Context) (int64, error) {
	rctx, cancel := context.WithTimeout(ctx, fillTimeout)
	defer cancel()
	last, err := h.events.LastEventID(rctx)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("reading the newest event id failed", "err", err)
		}
		return 0, err
	}
	return last, nil
}

// readAfterCursor hands the dispatcher every event after the cursor that the log
// holds, page by page.
func (h *Hub) readAfterCursor(ctx context.Context) error {
	after := h.cursorNow()
	for {
		started := time.Now()
		rctx, cancel := context.WithTimeout(ctx, fillTimeout)
		evs, err := h.events.EventsAfter(rctx, after, replayPage)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("catching up from the event log failed", "err", err)
			}
			return err
		}
		f := logFill{evs: evs, started: started, complete: len(evs) < replayPage}
		select {
		case h.fills <- f:
		case <-ctx.Done():
			return ctx.Err()
		}
		if f.complete {
			return nil
		}
		after = evs[len(evs)-1].ID
	}
}
