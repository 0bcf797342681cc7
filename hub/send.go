package hub

import (
	"bytes"
	"context"
	"time"

	"github.com/coder/websocket"
)

const (
	// queueSize bounds what may wait for one socket, in batches (a batch is every
	// frame of one published run of events, so a bulk delete is one entry). A socket
	// that stays this far behind is not reading: it is cut rather than buffered.
	queueSize = 32
	// writeTimeout bounds the write of one batch: a peer that takes longer is gone.
	writeTimeout = 5 * time.Second
)

// send hands frames to the socket without blocking (see push), and counts those
// it wrote itself as delivered.
func (s *socket) send(frames [][]byte) {
	s.h.metrics.addDirect(s.push(frames))
}

// push writes frames on the connection directly when it safely can, and queues
// them for the flusher otherwise; a full queue cuts the socket. It returns how
// many frames it wrote (the caller counts them as delivered; the flusher counts
// the ones it writes).
//
// A direct write skips waking a goroutine, most of what a frame costs besides the
// write itself when one event goes to 10,000 sockets. It is safe when nothing
// written or to be written for this socket can come before it:
//
//   - live: start finished (hello, reset, presence, replay: all written before
//     addLocked sets live, under h.mu and wmu), and the socket has not
//     unregistered (which it does before its connection closes);
//   - pending == 0: no batch waits or is half written. Every producer goes
//     through wmu, so the frames of one producer reach the wire in the order it
//     sent them, and each batch either goes out here, whole, before wmu is
//     released, or joins the queue behind every batch still pending;
//   - the socket is not killed (its close frame is about to go out, and an
//     expired token gets no event after its expiry);
//   - tryWriteFrames' own conditions: wireConn.mu is free (so a control frame of
//     the library, or a batch of the flusher, never interleaves with the
//     frames), the kernel's send queue is empty and the batch small.
//
// Lock order: h.mu, then wmu, then cmu; wireConn.mu is only tried under wmu, and
// the flusher never holds it while waiting for wmu.
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
	if len(s.waiting) >= queueSize {
		s.cutSlow(len(frames))
		return 0
	}
	s.waiting = append(s.waiting, frames)
	s.pending++
	s.flushLocked()
	return 0
}

// flushLocked starts the flusher if batches wait, none runs and one may.
func (s *socket) flushLocked() {
	if len(s.waiting) > 0 && s.started && !s.over && !s.flushing {
		s.flushing = true
		s.tasks.Add(1)
		go s.flush()
	}
}

// flush writes the waiting batches in order, each under one deadline, and ends
// when none waits, the socket is killed (its close frame comes next) or a write
// fails (then the connection is closed, and flushing stays set: nothing may
// follow a batch that is perhaps half on the wire).
func (s *socket) flush() {
	defer s.tasks.Done()
	s.wmu.Lock()
	for len(s.waiting) > 0 && !s.killed() {
		frames := s.waiting[0]
		s.waiting[0] = nil
		s.waiting = s.waiting[1:]
		s.wmu.Unlock()
		if err := s.writeFrames(frames...); err != nil {
			s.h.log.Debug("socket write failed", "err", err)
			s.conn.CloseNow()
			return
		}
		if !isPing(frames) {
			s.h.metrics.delivered.Add(float64(len(frames)))
		}
		s.wmu.Lock()
		s.pending--
	}
	s.waiting = nil
	s.flushing = false
	s.wmu.Unlock()
}

// cutSlow ends a socket that cannot take n more frames; they are dropped.
func (s *socket) cutSlow(n int) {
	s.h.metrics.dropped.Add(float64(n))
	if s.kill(closeSlowConsumer) {
		s.h.metrics.slow.Inc()
	}
}

// writeFrames writes whole frames (see textFrame) under one deadline: a peer that
// does not take them within writeTimeout is cut. The deadline is one reusable
// timer per socket rather than a context per frame: fanning one event out to
// 10,000 sockets, a per-frame context and timer cost a good part of what the write
// itself costs. For the same reason the frames go to the connection directly, a
// batch in one writev, not through the library's per-message path (its locks,
// message writer, buffer copy and context checks): wireConn keeps them from
// interleaving with the library's control frames. Only one writer calls it at a
// time: the starter, then the flusher.
func (s *socket) writeFrames(frames ...[]byte) error {
	if s.wire == nil {
		return s.writePlain(frames)
	}
	s.stall.Reset(writeTimeout)
	defer s.stall.Stop()
	return s.wire.writeFrames(frames)
}

// writeFrameParts writes one frame given in parts (see onlineList.snapshot): in
// one writev on the direct path, joined for the library's.
func (s *socket) writeFrameParts(parts [][]byte) error {
	if s.wire == nil {
		return s.writePlain([][]byte{bytes.Join(parts, nil)})
	}
	return s.writeFrames(parts...)
}

// writePlain is writeFrames through the library's own write path
// (Config.PlainWrites): each frame's payload as one message, the batch under one
// writeTimeout (past it the library closes the connection). A ping is the
// library's Ping, which waits for its pong: on a goroutine of its own, owned by
// tasks, so that the batch behind it does not wait a round trip; the pong is
// noted by the reader (lastPong) as on the direct path.
func (s *socket) writePlain(frames [][]byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	for _, f := range frames {
		if isPing([][]byte{f}) {
			s.tasks.Add(1)
			go func() {
				defer s.tasks.Done()
				ctx, cancel := context.WithTimeout(context.Background(), s.h.cfg.PingTimeout)
				defer cancel()
				_ = s.conn.Ping(ctx)
			}()
			continue
		}
		if err := s.conn.Write(ctx, websocket.MessageText, payloadOf(f)); err != nil {
			return err
		}
	}
	return nil
}
