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
	socketReadBuffer  = 512
	socketWriteBuffer = 1024
)

// smallBuffers hands the library the hijacked connection with smaller buffers.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// The 101 answer may still sit in net/http's buffer.
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, nil, err
	}
	// Keep anything the client sent right after its handshake.
	var r io.Reader = conn
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)
	}
	return conn, bufio.NewReadWriter(bufio.NewReaderSize(r, socketReadBuffer), bufio.NewWriterSize(conn, socketWriteBuffer)), nil
}
