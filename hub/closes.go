package hub

import "github.com/coder/websocket"

// closeReason is why the hub closes a socket: each names one status code and
// reason text of the contract, paired here and nowhere else, so that a close
// reads the same on every path and a client can match on either.
type closeReason int

const (
	// closeSlowConsumer: the socket's queue is full, or a direct write was cut
	// short: its peer does not read fast enough.
	closeSlowConsumer closeReason = iota + 1
	// closeTooManyMessages: the client kept sending over the inbound rate.
	closeTooManyMessages
	// closeNotUTF8: a text frame that is not UTF-8 (RFC 6455 section 8.1).
	closeNotUTF8
	// closeTokenExpired: the socket's token expired (the contract's 4001).
	closeTokenExpired
	// closeShutdown: the server is shutting down.
	closeShutdown
	// closeLogUnavailable: the event log could not be read; the client reconnects
	// later with its lastEventId and misses nothing.
	closeLogUnavailable
)

// statusTokenExpired is the contract's own close code for an expired token.
const statusTokenExpired websocket.StatusCode = 4001

// status and text are the close frame's code and reason.
func (r closeReason) status() (websocket.StatusCode, string) {
	switch r {
	case closeSlowConsumer:
		return websocket.StatusPolicyViolation, "slow consumer"
	case closeTooManyMessages:
		return websocket.StatusPolicyViolation, "too many messages"
	case closeNotUTF8:
		return websocket.StatusInvalidFramePayloadData, "text frame is not UTF-8"
	case closeTokenExpired:
		return statusTokenExpired, "token expired"
	case closeShutdown:
		return websocket.StatusGoingAway, "server shutting down"
	case closeLogUnavailable:
		return websocket.StatusTryAgainLater, "event log unavailable"
	}
	return websocket.StatusInternalError, "internal error"
}
