package hub

import (
	"context"
	"time"

	"github.com/supportd/supportd/store"
)

// apply is what Run does with a published batch, with the log reader's fill done
// at once when a gap opens: tests see the outcome without Run's goroutines.
func (h *Hub) apply(ctx context.Context, evs []store.Event) {
	h.take(evs, time.Now())
	if len(h.gap.held) > 0 {
		h.catchUpFromLog(ctx)
	}
}

// catchUpFromLog runs one read of the log reader and hands its pages to the
// dispatcher, as Run would.
func (h *Hub) catchUpFromLog(ctx context.Context) {
	done := make(chan error, 1)
	go func() { done <- h.readAfterCursor(ctx) }()
	for {
		select {
		case f := <-h.fills:
			h.takeFill(f)
		case <-done:
			return
		}
	}
}
