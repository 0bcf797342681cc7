package hub

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"sync"
)

const (
	// The WebSocket library keeps the buffers of the hijacked connection for the
	// socket's whole life. net/http's are 4 KiB each, most of an idle socket's
	// memory; frames here are small (and a larger one just takes more reads), so
	// smaller buffers cost nothing in throughput worth having at 10,000 sockets.
	//
	// socketWriteBuffer must hold any control frame whole (see wireConn): at most
	// 14 bytes of header and 125 of payload. Nothing else goes through it (data
	// frames and pings are written to the connection directly), so 256 bytes.
	socketReadBuffer  = 512
	socketWriteBuffer = 256

	// socketSendBuffer caps the kernel's send buffer of each socket (SO_SNDBUF;
	// Linux doubles the value for its bookkeeping, and stops autotuning it). Left
	// alone, Linux grows it up to net.ipv4.tcp_wmem's max (4 MiB by default) for a
	// peer that does not read: such a socket absorbs megabytes before its queue in
	// the hub fills, more than 10 s at 400 KB/s before it is cut as a slow
	// consumer, and holds that much kernel memory meanwhile. 128 KiB bounds both
	// (detection in about a second at that rate). The price is throughput per
	// socket on a long round trip, at most about buffer/RTT — over 1 MB/s at
	// 100 ms — far more than support traffic needs; a replay of 500 events just
	// takes a few round trips more.
	socketSendBuffer = 128 << 10

	// maxKeptBufs bounds what wireConn.bufs keeps between batches: a replay's
	// batch may hold hundreds of frames, and 10,000 idle sockets each pinning
	// that much scratch would cost more than the allocation it saves.
	maxKeptBufs = 64
)

// smallBuffers hands the library the hijacked connection with smaller buffers,
// behind a wireConn (kept in conn for the socket's direct writes).
type smallBuffers struct {
	http.ResponseWriter
	conn *wireConn
}

func (w *smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The 101 answer may still sit in net/http's buffer.
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	tcp := tcpConn(conn)
	if tcp != nil {
		_ = tcp.SetWriteBuffer(socketSendBuffer)
	}
	// Keep anything the client sent right after its handshake.
	var r io.Reader = conn
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)
	}
	w.conn = &wireConn{Conn: conn}
	if tcp != nil && conn == net.Conn(tcp) {
		// Only a bare TCP connection: under TLS the frames would need sealing.
		if raw, err := tcp.SyscallConn(); err == nil {
			w.conn.initDirect(raw)
		}
	}
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(r, socketReadBuffer), bufio.NewWriterSize(w.conn, socketWriteBuffer)), nil
}

// tcpConn is the TCP connection under c, or nil.
func tcpConn(c net.Conn) *net.TCPConn {
	for {
		switch t := c.(type) {
		case *net.TCPConn:
			return t
		case interface{ NetConn() net.Conn }: // *tls.Conn and the like
			c = t.NetConn()
		default:
			return nil
		}
	}
}

// wireConn is the hijacked connection, shared by two writers that must never
// interleave bytes on the wire: the library, which writes control frames (pong,
// close) through the bufio.Writer Hijack hands it, and the socket's starter or
// flusher (one at a time), which write pre-built frames (data, and pings)
// directly (writeFrames). Both go through mu.
//
// The invariant that makes a mutex per Write enough: every Write the library
// makes here is exactly one whole control frame. Its writeFrame (coder/websocket
// v1.8.15, write.go) puts the header and the payload in the bufio.Writer and
// flushes when the frame is final, which control frames always are; a control
// payload is at most 125 bytes (a pong echoes a control payload the reader
// refused above 125, a close reason over 123 bytes is replaced by a bare code),
// so a frame is at most 139 bytes and fits the empty socketWriteBuffer: its
// Flush is one Write of the whole frame. (After a failed write the bufio.Writer
// keeps its error and writes nothing more.) The library never writes data
// messages nor pings: nothing here calls Conn.Write, Conn.Writer or Conn.Ping.
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
	// direct is the state of direct writes, guarded by mu (see direct_linux.go);
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
