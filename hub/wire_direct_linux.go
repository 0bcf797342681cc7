//go:build linux

package hub

import (
	"syscall"
	"unsafe"
)

const (
	// directMaxBytes bounds a direct write. With the kernel's send queue empty and
	// the socket's send buffer at socketSendBuffer (128 KiB, which Linux doubles
	// for its bookkeeping), a write this size always fits whole: a partial write
	// is not expected, only handled.
	directMaxBytes = 64 << 10
	// directMaxFrames bounds the iovecs of one writev (IOV_MAX is 1024).
	directMaxFrames = 64
	// siocOUTQ is SIOCOUTQ (TIOCOUTQ): bytes in the socket's send queue, unsent
	// or not yet acknowledged.
	siocOUTQ = 0x5411
	// The send queue is checked (an ioctl, about 2 µs on a 2-core VM: a tenth of
	// what a frame costs) before a direct write unless, since it was last found
	// empty, only direct writes went out, at most these many and bytes. Then the
	// queue holds at most that: with each write's kernel overhead (about 1 KiB a
	// buffer) well under 64 KiB, so a batch of directMaxBytes still fits whole in
	// the 256 KiB the kernel allows (socketSendBuffer doubled). A peer that
	// stops reading gets at most that much more directly before the check sends
	// its frames to the flusher.
	directUncheckedWrites = 32
	directUncheckedBytes  = 16 << 10
)

// directWriter is the state of wireConn's direct writes, guarded by wireConn.mu.
// Its zero value allows none (not a bare TCP connection).
type directWriter struct {
	raw syscall.RawConn
	// fn is write, bound once: RawConn.Write takes a func, and a method value
	// made per call would be an allocation per socket per event.
	fn func(fd uintptr) bool
	// The write's argument and result, through fn.
	frames [][]byte
	n      int
	iov    []syscall.Iovec // reused: pointers are cleared after each write
	check  bool            // the next write checks the send queue first
	// sinceBytes and sinceWrites are what direct writes put in the send queue
	// since it was last found empty; sinceBytes < 0: unknown (never checked, or
	// someone else wrote since).
	sinceBytes, sinceWrites int
}

func (c *wireConn) initDirect(raw syscall.RawConn) {
	c.direct.raw = raw
	c.direct.fn = c.direct.write
	c.direct.sinceBytes = -1
}

// wroteOther records, under mu, a write by the library or the socket's flusher:
// the next direct write checks the send queue.
func (d *directWriter) wroteOther() { d.sinceBytes = -1 }

// tryWriteFrames writes whole frames (see textFrame) if that can be done at once,
// without blocking and without waiting for anyone:
//
//   - mu is free (TryLock): otherwise the library is writing a control frame, or
//     the socket's flusher (or starter) a batch;
//   - no close frame went out and no earlier direct write was cut;
//   - the kernel's send queue is empty (SIOCOUTQ): the peer has taken, and
//     acknowledged, everything written so far, or it was when last checked and
//     holds at most a little since (see directUncheckedWrites). A peer that lags
//     goes through the socket's flusher and its stall timer, as before;
//   - the frames total at most directMaxBytes.
//
// Then it makes exactly one non-blocking write(v) attempt; RawConn.Write never
// parks because fn always reports done. The result:
//
//   - directAll: every byte is on its way;
//   - directNone: nothing was written (a condition failed, EAGAIN, or an error —
//     the socket's flusher, given the frames, finds the same error and ends the
//     socket as before);
//   - directCut: only some bytes were written, so the wire now ends inside a
//     frame. Nothing can follow that: the connection is closed at once (its
//     net.Conn, not the library's CloseNow, which would wait for goroutines that
//     may be waiting for mu) and cut set, so no one writes on it again. The caller
//     kills the socket.
//
// mu is released on every path.
func (c *wireConn) tryWriteFrames(frames [][]byte) directResult {
	d := &c.direct
	if d.raw == nil || len(frames) == 0 || len(frames) > directMaxFrames {
		return directNone
	}
	size := 0
	for _, f := range frames {
		size += len(f)
	}
	if size == 0 || size > directMaxBytes {
		return directNone
	}
	if !c.mu.TryLock() {
		return directNone
	}
	defer c.mu.Unlock()
	if c.closeSent || c.cut {
		return directNone
	}
	d.frames, d.n = frames, 0
	d.check = d.sinceBytes < 0 || d.sinceBytes+size > directUncheckedBytes || d.sinceWrites >= directUncheckedWrites
	err := d.raw.Write(d.fn)
	n := d.n
	d.frames = nil
	switch {
	case err != nil || n <= 0:
		return directNone
	case n == size:
		d.sinceBytes += size
		d.sinceWrites++
		return directAll
	}
	c.cut = true
	_ = c.Conn.Close()
	return directCut
}

// write is the single attempt of tryWriteFrames, on the connection's descriptor
// (non-blocking, as every descriptor of Go's poller). It always returns true: one
// attempt, never a wait for the descriptor to become writable.
func (d *directWriter) write(fd uintptr) bool {
	if d.check {
		outq := int32(-1)
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, siocOUTQ, uintptr(unsafe.Pointer(&outq))); e != 0 || outq != 0 {
			return true
		}
		d.sinceBytes, d.sinceWrites = 0, 0
	}
	var r uintptr
	var e syscall.Errno
	if len(d.frames) == 1 {
		f := d.frames[0]
		r, _, e = syscall.Syscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&f[0])), uintptr(len(f)))
	} else {
		iov := d.iov[:0]
		for _, f := range d.frames {
			if len(f) > 0 {
				v := syscall.Iovec{Base: &f[0]}
				v.SetLen(len(f))
				iov = append(iov, v)
			}
		}
		r, _, e = syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		clear(iov) // the frames are not ours to keep alive
		d.iov = iov[:0]
	}
	if e == 0 {
		d.n = int(r)
	}
	return true
}
