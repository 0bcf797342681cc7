package hub

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Every close the hub makes reaches the client as its named status and reason.
func TestCloseReasonsReachTheClient(t *testing.T) { closeReasonsReachTheClient(t, false) }

func closeReasonsReachTheClient(t *testing.T, plain bool) {
	for _, tc := range []struct {
		r      closeReason
		code   websocket.StatusCode
		reason string
	}{
		{closeSlowConsumer, 1008, "slow consumer"},
		{closeTooManyMessages, 1008, "too many messages"},
		{closeNotUTF8, 1007, "text frame is not UTF-8"},
		{closeTokenExpired, 4001, "token expired"},
		{closeShutdown, 1001, "server shutting down"},
		{closeLogUnavailable, 1013, "event log unavailable"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			_, c, s := agentReady(t, plain)
			s.kill(tc.r)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			var err error
			for err == nil {
				_, _, err = c.Read(ctx)
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != tc.code || ce.Reason != tc.reason {
				t.Fatalf("got %v, want close %d %q", err, tc.code, tc.reason)
			}
		})
	}
}
