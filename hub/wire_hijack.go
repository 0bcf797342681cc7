package hub

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
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
