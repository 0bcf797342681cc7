package hub

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/supportd/supportd/store"
)

const (
	// inboundRate is the contract's 20 messages a second per socket.
	inboundRate = 20
	// inboundStrikes is how many messages over the rate a socket may send (each
	// answered with an error) before it is closed with 1008.
	inboundStrikes = 20
	// typingEvery is how often one socket's typing for one ticket is relayed.
	typingEvery = 2 * time.Second
	// callTimeout bounds the service calls a message makes.
	callTimeout = 5 * time.Second
	// prepaidFrame is the message size from which a message pays one request of the
	// caller's budget before it is parsed: a ping or a typing is far smaller, a seen
	// of ten ids or more is not.
	prepaidFrame = 256
	// maxOwnerCache bounds the per-socket cache of ticket owners for typing.
	maxOwnerCache = 256
)

// Budget is the per-caller rate budget of REST requests. A socket's seen and typing
// draw on it as REST calls would, so that many sockets of one caller cannot do what
// REST refuses; ping stays free.
type Budget interface {
	// Allow takes cost requests from id's budget, or says how long until they are there.
	Allow(id store.ID, cost int) (bool, time.Duration)
}

type inbound struct {
	Type      string          `json:"type"`
	ThreadIDs json.RawMessage `json:"threadIds"`
	TicketID  string          `json:"ticketId"`
}

// readLoop reads client messages until the socket fails or closes. Only this
// goroutine touches the typing and owner maps.
func (s *socket) readLoop(ctx context.Context) {
	limit := rate.NewLimiter(inboundRate, inboundRate)
	strikes := 0
	lastTyping := map[store.ID]time.Time{}
	owners := map[store.ID]store.ID{}
	for {
		typ, data, err := s.conn.Read(ctx)
		if err != nil {
			return
		}
		if !limit.Allow() {
			strikes++
			if strikes > inboundStrikes {
				s.kill(closeTooManyMessages)
				return
			}
			s.send([][]byte{errorFrame(store.CodeTooManyRequests, "At most 20 messages a second")})
			continue
		}
		if typ != websocket.MessageText {
			s.send([][]byte{errorFrame(store.CodeBadRequest, "Messages must be JSON text")})
			continue
		}
		// RFC 6455 section 8.1: a text frame that is not UTF-8 fails the connection.
		if !utf8.Valid(data) {
			s.kill(closeNotUTF8)
			return
		}
		// A big message pays one request of the caller's budget before it is parsed,
		// so that a caller over its budget cannot make the server parse megabytes of
		// ids a second only to refuse them.
		prepaid := 0
		if len(data) > prepaidFrame {
			if !s.withinBudget(1) {
				continue
			}
			prepaid = 1
		}
		var m inbound
		if err := json.Unmarshal(data, &m); err != nil {
			s.send([][]byte{errorFrame(store.CodeBadRequest, "Malformed JSON")})
			continue
		}
		switch m.Type {
		case "ping":
			s.send([][]byte{control("pong", struct{}{})})
		case "seen":
			s.seen(ctx, m.ThreadIDs, prepaid)
		case "typing":
			s.typing(ctx, m.TicketID, lastTyping, owners, prepaid)
		default:
			s.send([][]byte{errorFrame(store.CodeBadRequest, "type must be one of ping, seen, typing")})
		}
	}
}

// withinBudget takes cost requests from the caller's budget, or answers the message
// with TooManyRequests, as REST answers 429, and says to do nothing.
func (s *socket) withinBudget(cost int) bool {
	if s.h.budget == nil {
		return true
	}
	ok, wait := s.h.budget.Allow(s.caller.ID, cost)
	if !ok {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		s.send([][]byte{errorFrame(store.CodeTooManyRequests, "Too many requests, retry in "+strconv.Itoa(secs)+" s")})
	}
	return ok
}

// seen parses threadIds as REST's PUT /support-tickets/threads/seen does, and draws
// on the budget as that call would: one request per started hundred ids, less what
// the message prepaid.
func (s *socket) seen(ctx context.Context, raw json.RawMessage, prepaid int) {
	ids, err := store.ParseIDList(raw, "threadIds", store.MaxIDs, true)
	if cost := store.SeenCost(len(ids)) - prepaid; cost > 0 && !s.withinBudget(cost) {
		return
	}
	var bad *store.Error
	if errors.As(err, &bad) {
		s.send([][]byte{errorFrame(bad.Code, bad.Message)})
		return
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	if err := s.h.svc.MarkSeen(ctx, s.caller, ids); err != nil {
		s.h.log.Warn("seen from a socket failed", "err", err)
		s.send([][]byte{errorFrame(store.CodeInternal, "Could not mark the threads seen")})
	}
}

func (s *socket) typing(ctx context.Context, rawID string, last map[store.ID]time.Time, owners map[store.ID]store.ID, prepaid int) {
	id, err := store.ParseID(rawID)
	if err != nil {
		s.send([][]byte{errorFrame(store.CodeNotFound, "Support ticket not found")})
		return
	}
	now := time.Now()
	if now.Sub(last[id]) < typingEvery {
		return
	}
	// Only typing that would be relayed costs: the dropped repeats above cost
	// nothing, and a client sends one per keystroke or so.
	if prepaid == 0 && !s.withinBudget(1) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	owner, ok := owners[id]
	if !ok {
		owner, err = s.h.svc.TicketClient(ctx, s.caller, id)
		if errors.Is(err, store.ErrNotFound) {
			s.send([][]byte{errorFrame(store.CodeNotFound, "Support ticket not found")})
			return
		}
		if err != nil {
			s.h.log.Warn("typing lookup failed", "err", err)
			s.send([][]byte{errorFrame(store.CodeInternal, "Could not relay typing")})
			return
		}
		if len(owners) >= maxOwnerCache {
			clear(owners)
		}
		owners[id] = owner
	}
	last[id] = now
	if err := s.h.broker.PublishEphemeral(ctx, typingMessage(s.caller, id, owner, s.h.cfg.Instance)); err != nil {
		s.h.log.Warn("relaying typing failed", "err", err)
	}
}
