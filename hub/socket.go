package hub

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

const (
	// queueSize bounds what may wait for one socket, in batches (a batch is every
	// frame of one published run of events, so a bulk delete is one entry). A socket
	// that stays this far behind is not reading: it is cut rather than buffered.
	queueSize = 32
	// writeTimeout bounds the write of one batch: a peer that takes longer is gone.
	writeTimeout = 5 * time.Second
	// defaultPingInterval keeps idle sockets alive through proxies (nginx closes
	// after 60 s of silence by default) and finds dead peers; defaultPingTimeout is
	// how long a pong may take (Config.PingInterval and PingTimeout override both).
	defaultPingInterval = 25 * time.Second
	defaultPingTimeout  = 10 * time.Second
	// replayWriteBytes bounds one write of a replay (see replay).
	replayWriteBytes = 64 << 10

	// Close codes of the contract.
	statusTokenExpired websocket.StatusCode = 4001
)

// socket is one authenticated WebSocket with two goroutines of its own: a writer
// (hello, replay, then its queue) and a reader. Everything else talks to it through
// send and kill.
type socket struct {
	h       *Hub
	conn    *websocket.Conn
	wire    *wireConn // conn's connection: data frames are written here directly
	caller  store.Caller
	expires time.Time
	queue   chan [][]byte // batches of whole frames (see textFrame)
	stall   *time.Timer   // cuts the connection when a write takes too long
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
	// fanOutTyping and flushPresence (under h.mu, possibly on a fan-out worker)
	// and the reader's answers all go through it.
	wmu sync.Mutex
	// pending counts the batches handed to the writer and not yet written by it:
	// queued, or being written. The writer decrements it only once a batch is
	// wholly written (never after a failed write: the wire may hold part of that
	// batch, so nothing may be written directly after it). Guarded by wmu.
	pending int
	// live is set when the socket registers for the fan-out (addLocked), after
	// its writer wrote hello, presence and the replay, and cleared when it
	// unregisters, after its writer returned. Guarded by wmu.
	live bool

	done   chan struct{}
	once   sync.Once
	code   websocket.StatusCode
	reason string
}

// send hands frames to the socket without blocking (see push), and counts those
// it wrote itself as delivered.
func (s *socket) send(frames [][]byte) {
	s.h.metrics.addDirect(s.push(frames))
}

// push writes frames on the connection directly when it safely can, and queues
// them for the writer otherwise; a full queue cuts the socket. It returns how many
// frames it wrote (the caller counts them as delivered; the writer counts the
// ones it writes).
//
// A direct write skips waking the writer goroutine, most of what a frame costs
// besides the write itself when one event goes to 10,000 sockets. It is safe when
// nothing written or to be written for this socket can come before it:
//
//   - live: the writer finished start (hello, reset, presence, replay: all written
//     before addLocked sets live, under h.mu and wmu), and the socket has not
//     unregistered (which it does once its writer returned, before the close);
//   - pending == 0: the writer holds no batch, queued or half written. Every
//     producer goes through wmu, so the frames of one producer reach the wire in
//     the order it sent them, and each batch either goes out here, whole, before
//     wmu is released, or joins the queue behind every batch still pending;
//   - the socket is not killed (its writer is about to send a close frame, and
//     an expired token gets no event after its expiry);
//   - tryWriteFrames' own conditions: wireConn.mu is free (so a control frame of
//     the library, or a batch of the writer, never interleaves with the frames),
//     the kernel's send queue is empty and the batch small.
//
// Lock order: h.mu, then wmu; wireConn.mu is only tried under wmu, and the writer
// never holds it while waiting for wmu.
func (s *socket) push(frames [][]byte) int {
	if len(frames) == 0 {
		return 0
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.pending == 0 && s.live && !s.killed() && s.wire != nil {
		switch s.wire.tryWriteFrames(frames) {
		case directAll:
			return len(frames)
		case directCut:
			// Half a frame is on the wire and the connection is closed: the
			// socket is as gone as one whose queue overflowed.
			s.cutSlow(len(frames))
			return 0
		}
	}
	select {
	case s.queue <- frames:
		s.pending++
	default:
		s.cutSlow(len(frames))
	}
	return 0
}

// cutSlow ends a socket that cannot take n more frames; they are dropped.
func (s *socket) cutSlow(n int) {
	s.h.metrics.dropped.Add(float64(n))
	if s.kill(websocket.StatusPolicyViolation, "slow consumer") {
		s.h.metrics.slow.Inc()
	}
}

// setLive marks the socket registered for the fan-out, or no longer (see push).
func (s *socket) setLive(live bool) {
	s.wmu.Lock()
	s.live = live
	s.wmu.Unlock()
}

// kill asks the socket to close with code and reason; the first reason wins.
func (s *socket) kill(code websocket.StatusCode, reason string) bool {
	first := false
	s.once.Do(func() {
		s.code, s.reason, first = code, reason, true
		close(s.done)
	})
	return first
}

// killed reports whether kill was called (done is closed).
func (s *socket) killed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// writeFrames writes whole frames (see textFrame) under one deadline: a peer that
// does not take them within writeTimeout is cut. The deadline is one reusable
// timer per socket rather than a context per frame: fanning one event out to
// 10,000 sockets, a per-frame context and timer cost a good part of what the write
// itself costs. For the same reason the frames go to the connection directly, a
// batch in one writev, not through the library's per-message path (its locks,
// message writer, buffer copy and context checks): wireConn keeps them from
// interleaving with the library's control frames.
func (s *socket) writeFrames(frames ...[]byte) error {
	s.stall.Reset(writeTimeout)
	defer s.stall.Stop()
	return s.wire.writeFrames(frames)
}

// serve runs the socket until it closes: hello, reset, presence, replay, then live.
func (s *socket) serve(ctx context.Context, lastEventID int64) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.stall = time.AfterFunc(writeTimeout, func() { s.conn.CloseNow() })
	s.stall.Stop()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		s.readLoop(ctx)
		select {
		case <-s.done:
			// Killed (too many messages, a bad frame): the writer sees done and
			// closes with the kill's code; no cancel is needed for that.
		default:
			cancel()
		}
	}()

	err := s.writeLoop(ctx, lastEventID)
	if errors.Is(err, errLogUnavailable) {
		// Say so, rather than drop the connection: the client reconnects later
		// with its lastEventId and misses nothing.
		s.kill(websocket.StatusTryAgainLater, "event log unavailable")
	}
	s.h.unregister(s)
	select {
	case <-s.done:
		_ = s.conn.Close(s.code, s.reason)
	default:
		if err != nil && !errors.Is(err, context.Canceled) && websocket.CloseStatus(err) == -1 {
			s.h.log.Debug("socket write failed", "err", err)
		}
		s.conn.CloseNow()
	}
	cancel()
	<-readerDone
}

func (s *socket) writeLoop(ctx context.Context, lastEventID int64) error {
	if err := s.start(ctx, lastEventID); err != nil {
		return err
	}
	// One timer serves the heartbeat, the pong's deadline and the token's expiry,
	// to keep the loop's select small: it runs once per frame batch on every socket.
	//
	// The ping is a frame written like the data, and the writer goes on at once:
	// the reader notes the pong (lastPong), and the writer looks once it is due. The
	// library's Ping would hold the writer for the round trip and cost a context,
	// a channel and two wake-ups per ping; with 10,000 sockets opened within
	// seconds of each other, their pings come in waves.
	interval, timeout := s.h.cfg.PingInterval, s.h.cfg.PingTimeout
	nextPing := time.Now().Add(interval)
	// pingSent is when the ping awaiting its pong went out, zero when none (a
	// time.Time, not lastPong's unix ns, to keep the monotonic clock).
	var pingSent time.Time
	// One ping at a time: while one awaits its pong, the next waits too.
	wake := func() time.Time {
		if !pingSent.IsZero() {
			return minTime(pingSent.Add(timeout), s.expires)
		}
		return minTime(nextPing, s.expires)
	}
	timer := time.NewTimer(time.Until(wake()))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return nil
		case now := <-timer.C:
			if !now.Before(s.expires) {
				s.kill(statusTokenExpired, "token expired")
				return nil
			}
			if !pingSent.IsZero() && !now.Before(pingSent.Add(timeout)) {
				if s.lastPong.Load() < pingSent.UnixNano() {
					return errNoPong
				}
				pingSent = time.Time{}
			}
			if pingSent.IsZero() && !now.Before(nextPing) {
				sent := time.Now()
				if err := s.writeFrames(pingFrame()); err != nil {
					return err
				}
				pingSent, nextPing = sent, sent.Add(interval)
			}
			timer.Reset(time.Until(wake()))
		case frames := <-s.queue:
			if err := s.writeFrames(frames...); err != nil {
				return err // pending stays counted: see push
			}
			s.wmu.Lock()
			s.pending--
			s.wmu.Unlock()
			s.h.metrics.delivered.Add(float64(len(frames)))
		}
	}
}

// errNoPong ends a socket whose peer did not answer a ping in time.
var errNoPong = errors.New("hub: no pong within the ping timeout")

// pingFrame is a ping (FIN, opcode 0x9) with no payload.
func pingFrame() []byte { return []byte{0x89, 0x00} }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// start writes hello, then reset when the resume is impossible, then presence, then
// the replay, and registers the socket for live events with no gap and no duplicate.
//
// hello announces the log's newest id, read after the socket arrived, so it is at
// least the id of every event of every write that answered before, on any
// instance (read-your-writes); events up to it are not sent (the socket's floor
// starts there, even when this hub's cursor is still behind it).
//
// A storm of reconnects must not bury the database, so a reconnect reads little of
// the log: the newest id is one read shared by every socket that arrived during
// the previous one (see pubsub.Coalescer); whether the resume point was pruned
// takes a one-row probe, read alongside it (startProbe), since ids are contiguous
// in the log; and the replay reads pages only while the socket is behind the
// cursor.
func (s *socket) start(ctx context.Context, lastEventID int64) error {
	var p *probe
	if lastEventID >= 0 {
		p = s.h.startProbe(ctx, lastEventID)
		defer p.wait()
	}
	last, err := s.h.newest.Do(ctx)
	if err != nil {
		return s.h.logReadErr(ctx, err)
	}
	newest := max(s.h.cursorNow(), last)
	hello := map[string]any{
		"role":        s.caller.Role,
		"user":        store.Person{ID: s.caller.ID, Name: s.caller.Name},
		"lastEventId": strconv.FormatInt(newest, 10),
	}
	if err := s.writeFrames(control("hello", hello)); err != nil {
		return err
	}
	reset := false
	switch {
	case lastEventID < 0: // not resuming
	case lastEventID > newest:
		reset = true // from the future
	default:
		var err error
		if reset, err = p.pruned(lastEventID); err != nil {
			return err
		}
	}
	if reset {
		if err := s.writeFrames(control("reset", struct{}{})); err != nil {
			return err
		}
		lastEventID = -1
	}
	if err := s.writeFrames(s.h.joinPresence(s)); err != nil {
		return err
	}
	if lastEventID < 0 {
		// Live from what hello announced: the hub's cursor may move on before the
		// socket registers (those events are read from the log).
		lastEventID = newest
	}
	return s.replay(ctx, lastEventID)
}

// replay writes the events in scope after `after` from the log until it reaches the
// hub's cursor, then registers: the check and the registration happen under the
// hub's lock, so no event can slip between the replay and the live stream.
//
// A client's read is scoped to its own tickets, so it says nothing of other ids: the
// cursor is read before each read, and a page that is not full covers every event in
// scope up to that cursor (those events were in the log before the read began).
func (s *socket) replay(ctx context.Context, after int64) error {
	for {
		if s.h.register(s, after) {
			return nil
		}
		cursor := s.h.cursorNow()
		evs, err := s.h.readScope(ctx, s.caller, after)
		if err != nil {
			return err
		}
		// The page goes out in writes of several frames (one writev each), each at
		// most replayWriteBytes unless one frame alone is larger. Each write has
		// writeTimeout: a replaying peer must take 64 KiB in 5 s (13 KB/s), where
		// one write per frame asked that of single frames only.
		var batch [][]byte
		size := 0
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := s.writeFrames(batch...); err != nil {
				return err
			}
			s.h.metrics.replayed.Add(float64(len(batch)))
			batch, size = batch[:0], 0
			return nil
		}
		for _, ev := range evs {
			if b := encodeEvent(ev).forCaller(s.caller); b != nil {
				if size > 0 && size+len(b) > replayWriteBytes {
					if err := flush(); err != nil {
						return err
					}
				}
				batch, size = append(batch, b), size+len(b)
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
		}
		if len(evs) < replayPage {
			after = max(after, cursor)
		}
	}
}
