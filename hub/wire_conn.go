package hub

import (
	"net"
	"sync"
)

// wireLibraryVersion is the coder/websocket version the wire_*.go files were
// checked against. They write frames beside the library on the connection it
// hijacked (wireConn), which is sound only while the library:
//
//   - writes through the bufio.Writer its Hijack returned, and flushes each
//     control frame (pong, close) whole, in one Write (write.go, writeFrame);
//   - never writes data messages or pings of its own unless asked (nothing here
//     calls Conn.Write, Conn.Writer or Conn.Ping but the plain path);
//   - keeps no compression or framing state that our frames would upset
//     (compression disabled by default, accept.go).
//
// TestWireLibraryVersion fails when go.mod names another version: re-check those
// points in the new version's source, then update this constant (or set
// Config.PlainWrites until they hold).
const wireLibraryVersion = "v1.8.15"

// maxKeptBufs bounds what wireConn.bufs keeps between batches: a replay's
// batch may hold hundreds of frames, and 10,000 idle sockets each pinning
// that much scratch would cost more than the allocation it saves.
const maxKeptBufs = 64

// wireConn is the hijacked connection, shared by two writers that must never
// interleave bytes on the wire: the library, which writes control frames (pong,
// close) through the bufio.Writer Hijack hands it, and the socket's starter or
// flusher (one at a time), which write pre-built frames (data, and pings)
// directly (writeFrames). Both go through mu.
//
// The invariant that makes a mutex per Write enough: every Write the library
// makes here is exactly one whole control frame. Its writeFrame (write.go of
// wireLibraryVersion) puts the header and the payload in the bufio.Writer and
// flushes when the frame is final, which control frames always are; a control
// payload is at most 125 bytes (a pong echoes a control payload the reader
// refused above 125, a close reason over 123 bytes is replaced by a bare code),
// so a frame is at most 139 bytes and fits the empty socketWriteBuffer: its
// Flush is one Write of the whole frame. (After a failed write the bufio.Writer
// keeps its error and writes nothing more.) The library never writes data
// messages nor pings: on a wireConn nothing calls Conn.Write, Conn.Writer or
// Conn.Ping (Config.PlainWrites does, and then the socket has no wireConn).
//
// A third writer, push's direct write (tryWriteFrames), made by whichever
// producer sends — the fan-out, presence, the reader's replies, the heartbeat — takes mu only
// with TryLock, and never blocks while holding it.
//
// Close is not guarded: the stall timer's CloseNow must cut a write that blocks
// while holding mu.
type wireConn struct {
	net.Conn
	mu sync.Mutex
	// closeSent is set once the library wrote a close frame: no data frame may
	// follow it (the library's own writes check the same).
	closeSent bool
	// cut is set when a direct write left part of a frame on the wire: nothing
	// more may be written after it, by anyone; the connection is closed.
	cut bool
	// bufs is writeFrames' scratch, reused so that a batch costs no allocation;
	// guarded by mu.
	bufs net.Buffers
	// direct is the state of direct writes, guarded by mu (see wire_direct_linux.go);
	// its zero value allows none.
	direct directWriter
}

// Write is the library's: one whole control frame (see above).
func (c *wireConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return 0, net.ErrClosed
	}
	if len(p) > 0 && p[0]&0x0f == 0x8 { // opcode close
		c.closeSent = true
	}
	c.direct.wroteOther()
	return c.Conn.Write(p)
}

// writeFrames writes whole frames (see textFrame), a batch in one writev where the
// connection supports it. frames may be shared with other sockets: it is only
// read.
func (c *wireConn) writeFrames(frames [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeSent || c.cut {
		return net.ErrClosed
	}
	c.direct.wroteOther()
	if len(frames) == 1 {
		_, err := c.Conn.Write(frames[0])
		return err
	}
	// net.Buffers consumes its elements as it writes: a copy of our own, in the
	// reused c.bufs (WriteTo reslices only its local header).
	c.bufs = append(c.bufs[:0], frames...)
	bufs := c.bufs
	_, err := bufs.WriteTo(c.Conn)
	clear(c.bufs) // the frames are not ours to keep alive
	if cap(c.bufs) > maxKeptBufs {
		c.bufs = nil
	}
	return err
}

// directResult is what tryWriteFrames did.
type directResult int

const (
	directNone directResult = iota // nothing written: hand the frames to the flusher
	directAll                      // every frame written
	directCut                      // part of a frame written: the connection is closed
)
