//go:build linux

package wsclient

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// The epoll reader (-reader epoll) is for the scenarios whose sockets only read
// (broadcast, fanout, listen). With a goroutine per socket, a received frame costs the tool
// 13–16 µs here, almost all of it the Go netpoller waking that goroutine; on a
// machine where the tool and the server share two cores, that is CPU the server
// does not get, and a 10,000-socket broadcast measures the tool as much as the
// server. Here a few goroutines wait in epoll_wait on every socket and read each
// ready socket with one read(2): the server's frames arrive as they were sent,
// and nothing in the tool wakes per socket.

// rawConn is one socket read by the Poller: the tool did the handshake itself and
// holds the file descriptor, outside Go's netpoller.
type rawConn struct {
	s  *Socket
	d  *Dialer
	mu sync.Mutex // guards fd against a write racing the close
	fd int

	pending []byte // the start of a frame not wholly received
	msg     []byte // a fragmented message being assembled
}

// Poller reads every raw socket of the run: a few loops, each waiting with its own
// epoll instance on its share of the sockets. A socket belongs to one loop, so the
// loops need no one-shot re-arming (a syscall per frame) to stay off each other.
type Poller struct {
	loops []*epollLoop
	next  atomic.Uint64
	wg    sync.WaitGroup
}

type epollLoop struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]*rawConn
	stop  *atomic.Bool
}

// NewPoller starts loops epoll loops; Dialer.Close stops them.
func NewPoller(loops int) (*Poller, error) {
	p := &Poller{}
	stop := &atomic.Bool{}
	for range max(1, loops) {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("epoll: %w", err)
		}
		l := &epollLoop{epfd: epfd, conns: map[int32]*rawConn{}, stop: stop}
		p.loops = append(p.loops, l)
		p.wg.Go(l.run)
	}
	return p, nil
}

// close stops the loops (within their 100 ms wait) and closes the epoll instances.
func (p *Poller) close() {
	if len(p.loops) > 0 {
		p.loops[0].stop.Store(true)
	}
	p.wg.Wait()
	for _, l := range p.loops {
		syscall.Close(l.epfd)
	}
}

// add hands rc to a loop after the frames that came with the handshake's answer.
func (p *Poller) add(rc *rawConn, early []byte) error {
	l := p.loops[p.next.Add(1)%uint64(len(p.loops))]
	if len(early) > 0 && !rc.consume(early, time.Now()) {
		rc.end(l, io.EOF)
		return nil
	}
	l.mu.Lock()
	l.conns[int32(rc.fd)] = rc
	l.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(rc.fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, rc.fd, &ev); err != nil {
		l.mu.Lock()
		delete(l.conns, int32(rc.fd))
		l.mu.Unlock()
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	return nil
}

func (p *epollLoop) run() {
	events := make([]syscall.EpollEvent, 128)
	buf := make([]byte, 64<<10)
	for !p.stop.Load() {
		n, err := syscall.EpollWait(p.epfd, events, 100)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			fmt.Fprintf(os.Stderr, "supportbench: epoll_wait: %v\n", err)
			return
		}
		for _, ev := range events[:n] {
			p.mu.Lock()
			rc := p.conns[ev.Fd]
			p.mu.Unlock()
			if rc != nil {
				rc.readable(p, buf)
			}
		}
	}
}

// readable reads what rc has (one read: a frame of a broadcast is one segment; what
// a full buffer leaves, the level-triggered epoll reports again) and handles every
// whole frame. The rest of a frame already begun is read straight into its
// pending buffer, sized for the whole frame when it began: a presence snapshot of
// hundreds of KiB is then copied once, not once per read as it grows.
func (rc *rawConn) readable(p *epollLoop, buf []byte) {
	dst, direct := buf, false
	if need := frameNeed(rc.pending); need > len(rc.pending) {
		if need > cap(rc.pending) {
			rc.pending = append(make([]byte, 0, need), rc.pending...)
		}
		dst, direct = rc.pending[len(rc.pending):cap(rc.pending)], true
	}
	n, err := syscall.Read(rc.fd, dst)
	switch {
	case n > 0:
		var more []byte
		if direct {
			rc.pending = rc.pending[:len(rc.pending)+n]
		} else {
			more = buf[:n]
		}
		if !rc.consume(more, time.Now()) {
			rc.end(p, io.EOF)
			return
		}
	case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
	case err != nil:
		rc.end(p, err)
		return
	default: // n == 0: the server closed the connection
		rc.end(p, io.EOF)
	}
}

// frameNeed is the size of the frame b begins with, header included, or 0 when
// b does not hold its header yet.
func frameNeed(b []byte) int {
	if len(b) < 2 {
		return 0
	}
	size, h := uint64(b[1]&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return 0
		}
		size, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0
		}
		size, h = binary.BigEndian.Uint64(b[2:]), 10
	}
	if size > ReadLimit {
		return 0 // nextFrame reports it
	}
	return h + int(size)
}

// consume handles the whole frames in b (after what was pending) and keeps the
// rest. It reports false once the connection is over (a close frame, a bad frame).
func (rc *rawConn) consume(b []byte, at time.Time) bool {
	if len(rc.pending) > 0 {
		rc.pending = append(rc.pending, b...)
		b = rc.pending
	}
	for {
		fin, op, payload, n, err := nextFrame(b)
		if err != nil {
			rc.s.Err = err
			return false
		}
		if n == 0 {
			break
		}
		b = b[n:]
		if !rc.frame(fin, op, payload, at) {
			return false
		}
	}
	// Copy: b may be the loop's read buffer. A frame begun gets room for all of
	// it (see readable).
	if need := frameNeed(b); need > cap(rc.pending) {
		rc.pending = make([]byte, 0, need)
	}
	rc.pending = append(rc.pending[:0], b...)
	if cap(rc.pending) > bufKeep && len(rc.pending) == 0 {
		rc.pending = nil
	}
	return true
}

func (rc *rawConn) frame(fin bool, op byte, payload []byte, at time.Time) bool {
	switch op {
	case 0x0, 0x1, 0x2: // continuation, text, binary
		if !fin || len(rc.msg) > 0 {
			rc.msg = append(rc.msg, payload...)
			if !fin {
				return true
			}
			payload, rc.msg = rc.msg, nil
		}
		rc.s.handle(payload, at)
	case 0x8: // close: answer it and stop
		rc.s.CloseCode = 1005
		if len(payload) >= 2 {
			rc.s.CloseCode = websocket.StatusCode(binary.BigEndian.Uint16(payload))
		}
		rc.write(0x8, payload[:min(2, len(payload))])
		return false
	case 0x9: // ping
		rc.write(0xA, payload)
	}
	return true
}

// write sends one masked control frame (a client's frames are masked).
func (rc *rawConn) write(op byte, payload []byte) {
	if len(payload) > 125 {
		payload = payload[:125]
	}
	f := make([]byte, 0, 6+len(payload))
	f = append(f, 0x80|op, 0x80|byte(len(payload)))
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	f = append(f, mask[:]...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fd >= 0 {
		_, _ = syscall.Write(rc.fd, f)
	}
}

// closeNormal starts the close handshake; the Poller ends the socket on the answer.
func (rc *rawConn) closeNormal() {
	var code [2]byte
	binary.BigEndian.PutUint16(code[:], 1000)
	rc.write(0x8, code[:])
}

// shutdown makes the Poller end the socket now.
func (rc *rawConn) shutdown() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fd >= 0 {
		_ = syscall.Shutdown(rc.fd, syscall.SHUT_RDWR)
	}
}

// end closes the connection once (fd < 0 afterwards) and tells the scenario.
func (rc *rawConn) end(p *epollLoop, err error) {
	rc.mu.Lock()
	fd := rc.fd
	if fd < 0 {
		rc.mu.Unlock()
		return
	}
	rc.fd = -1
	p.mu.Lock()
	delete(p.conns, int32(fd))
	p.mu.Unlock()
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	syscall.Close(fd)
	rc.mu.Unlock()
	s := rc.s
	if s.Err == nil {
		s.Err = err
	}
	s.ClosedByUs = rc.d.closing.Load()
	close(s.Done)
}

// nextFrame parses the frame at the start of b: n == 0 when it is not all there.
func nextFrame(b []byte) (fin bool, op byte, payload []byte, n int, err error) {
	if len(b) < 2 {
		return
	}
	fin, op = b[0]&0x80 != 0, b[0]&0x0f
	if b[1]&0x80 != 0 {
		return false, 0, nil, 0, errors.New("masked frame from the server")
	}
	size, h := uint64(b[1]&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return false, 0, nil, 0, nil
		}
		size, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return false, 0, nil, 0, nil
		}
		size, h = binary.BigEndian.Uint64(b[2:]), 10
	}
	if size > ReadLimit {
		return false, 0, nil, 0, fmt.Errorf("frame of %d bytes", size)
	}
	if uint64(len(b)-h) < size {
		return false, 0, nil, 0, nil
	}
	end := h + int(size)
	return fin, op, b[h:end], end, nil
}
