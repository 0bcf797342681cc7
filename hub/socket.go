package hub

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

// socket is one authenticated WebSocket. Once started it has one goroutine: serve,
// which reads the client's messages until the connection ends (a starter writes
// hello, presence and the replay meanwhile, and ends). Live frames are mostly
// written by whoever sends them (see push); those that must wait are written by a
// flusher goroutine that exists only while some wait, and the heartbeat and the
// token's expiry are a timer's callbacks. An idle socket so costs one goroutine's stack, not two,
// and no queue: at 1,000 sockets of distinct agents that is about a fifth of
// the server's memory per socket. Everything else talks to it through send and
// kill.
type socket struct {
	h       *Hub
	conn    *websocket.Conn
	wire    *wireConn // conn's connection: data frames are written here directly
	caller  store.Caller
	expires time.Time
	stall   *time.Timer // cuts the connection when a write takes too long
	// lastPong is when the last pong came (unix ns), set by the library's reader.
	lastPong *atomic.Int64

	// floor is the newest event id a replay already wrote; live events at or below
	// it are skipped. Guarded by h.mu.
	floor int64
	// inPresence is set once the socket got its presence snapshot (it gets the
	// changes from then on); agentsSeen is the agentsOnline a client's socket was
	// last told. Guarded by h.mu.
	inPresence bool
	agentsSeen int

	// wmu orders every producer's frames for this socket (see push): deliver,
	// fanOutTyping and flushPresence (under h.mu, possibly on a fan-out worker),
	// the reader's answers and the heartbeat's pings all go through it.
	wmu sync.Mutex
	// waiting holds the batches handed over and not yet taken by the flusher,
	// oldest first, at most queueSize; nil when none (an idle socket keeps no
	// array). Guarded by wmu.
	waiting [][][]byte
	// pending counts the batches handed over and not yet written: waiting, or
	// being written by the flusher. The flusher decrements it only once a batch is
	// wholly written (never after a failed write: the wire may hold part of that
	// batch, so nothing may be written directly after it). Guarded by wmu.
	pending int
	// live is set when the socket registers for the fan-out (addLocked), after
	// start wrote hello, presence and the replay, and cleared when it
	// unregisters. Guarded by wmu.
	live bool
	// started: start is done, so a flusher may write (nothing goes before hello
	// and the replay). over: serve is ending, so no flusher starts any more.
	// flushing: a flusher runs (or its write failed: then none ever starts
	// again). Guarded by wmu.
	started, over, flushing bool

	// cmu guards closing and ended: kill starts the closer only while serve has
	// not begun to end (and so still waits for it), and the heartbeat re-arms
	// only then.
	cmu     sync.Mutex
	closing bool // a closer is sending kill's close frame
	ended   bool
	// beat is the heartbeat and the token's expiry (see heartbeat); pingSent and
	// nextPing are its state, touched only by its callback (one at a time: it
	// re-arms last).
	beat               *time.Timer
	pingSent, nextPing time.Time
	// tasks are the flusher and the closer, which serve waits for.
	tasks sync.WaitGroup

	done   chan struct{} // closed by kill
	dead   atomic.Bool   // set by kill, before done is closed
	once   sync.Once
	code   websocket.StatusCode
	reason string
}

// setLive marks the socket registered for the fan-out, or no longer (see push).
func (s *socket) setLive(live bool) {
	s.wmu.Lock()
	s.live = live
	s.wmu.Unlock()
}

// kill asks the socket to close for reason r; the first reason wins. The close
// frame goes out on a goroutine of its own (the closer): the library's Close waits
// for the peer's answer, which serve, reading, takes in.
func (s *socket) kill(r closeReason) bool {
	first := false
	s.once.Do(func() {
		s.code, s.reason = r.status()
		first = true
		s.dead.Store(true)
		close(s.done)
	})
	if first && s.conn != nil {
		s.cmu.Lock()
		if !s.ended {
			s.closing = true
			code, reason := s.code, s.reason
			s.tasks.Add(1)
			go func() {
				defer s.tasks.Done()
				_ = s.conn.Close(code, reason)
			}()
		}
		s.cmu.Unlock()
	}
	return first
}

// killed reports whether kill was called. It is asked on every delivery: an
// atomic load, not a receive on done.
func (s *socket) killed() bool { return s.dead.Load() }

// serve runs the socket until it closes: a starter goroutine writes hello, reset,
// presence and the replay and ends, while this one reads the client's messages
// from the first (a client that leaves mid-replay cuts the replay's log read
// short) until the connection ends.
func (s *socket) serve(ctx context.Context, lastEventID int64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.stall = time.AfterFunc(writeTimeout, func() { s.conn.CloseNow() })
	s.stall.Stop()
	s.tasks.Add(1)
	go func() {
		defer s.tasks.Done()
		s.begin(ctx, lastEventID)
	}()
	// Killed, the socket still reads: the closer's close frame wants an answer.
	s.readLoop(ctx)
	cancel()
	s.cmu.Lock()
	s.ended = true
	closing := s.closing
	if s.beat != nil {
		s.beat.Stop()
	}
	s.cmu.Unlock()
	s.wmu.Lock()
	s.over = true
	s.wmu.Unlock()
	s.h.unregister(s)
	if !closing {
		s.conn.CloseNow()
	}
	s.tasks.Wait()
}

// begin runs start, then lets the socket go live; a failed start ends the socket.
func (s *socket) begin(ctx context.Context, lastEventID int64) {
	err := s.start(ctx, lastEventID)
	switch {
	case err == nil:
		s.goLive()
	case errors.Is(err, errLogUnavailable):
		// Say so, rather than drop the connection: the client reconnects later
		// with its lastEventId and misses nothing.
		s.kill(closeLogUnavailable)
	case !s.killed():
		if !errors.Is(err, context.Canceled) && websocket.CloseStatus(err) == -1 {
			s.h.log.Debug("socket write failed", "err", err)
		}
		s.conn.CloseNow()
	}
}

// goLive lets the flusher write what waited during start, and starts the heartbeat.
func (s *socket) goLive() {
	s.wmu.Lock()
	s.started = true
	s.flushLocked()
	s.wmu.Unlock()
	s.nextPing = time.Now().Add(s.h.cfg.PingInterval)
	s.cmu.Lock()
	if !s.ended {
		s.beat = time.AfterFunc(time.Until(s.wake()), s.heartbeat)
	}
	s.cmu.Unlock()
}
