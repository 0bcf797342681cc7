package hub

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// framePayload checks that b is exactly one final, unmasked text frame with a
// minimally encoded length (RFC 6455 §5.2) and returns its payload.
func framePayload(t testing.TB, b []byte) []byte {
	t.Helper()
	n, hdr, err := parseFrame(b)
	if err != nil {
		t.Fatalf("frame % x…: %v", b[:min(len(b), 12)], err)
	}
	if b[0] != 0x81 {
		t.Fatalf("frame starts with %#x, want 0x81 (FIN, text)", b[0])
	}
	if hdr+n != len(b) {
		t.Fatalf("frame of %d bytes says %d of header and %d of payload", len(b), hdr, n)
	}
	return b[hdr:]
}

// parseFrame reads the header of an unmasked server frame: payload length and
// header length.
func parseFrame(b []byte) (n, hdr int, err error) {
	if len(b) < 2 {
		return 0, 0, errors.New("short header")
	}
	if b[0]&0x70 != 0 || b[1]&0x80 != 0 {
		return 0, 0, errors.New("RSV bits or mask set")
	}
	switch l := int(b[1] & 0x7f); {
	case l <= 125:
		return l, 2, nil
	case l == 126:
		if len(b) < 4 {
			return 0, 0, errors.New("short header")
		}
		n = int(binary.BigEndian.Uint16(b[2:]))
		if n <= 125 {
			return 0, 0, errors.New("16-bit length not minimal")
		}
		return n, 4, nil
	default:
		if len(b) < 10 {
			return 0, 0, errors.New("short header")
		}
		n64 := binary.BigEndian.Uint64(b[2:])
		if n64 <= 0xffff || n64>>63 != 0 {
			return 0, 0, errors.New("64-bit length not minimal or too large")
		}
		return int(n64), 10, nil
	}
}

var frameSizes = []int{0, 1, 125, 126, 127, 1000, 65535, 65536, 200_000}

func TestTextFrameHeaders(t *testing.T) {
	for _, n := range frameSizes {
		p := bytes.Repeat([]byte{'x'}, n)
		f := textFrame(p)
		want := 2
		if n > 0xffff {
			want = 10
		} else if n > 125 {
			want = 4
		}
		if len(f) != want+n || !bytes.Equal(framePayload(t, f), p) {
			t.Fatalf("%d bytes: got a frame of %d with header % x, want %d of header", n, len(f), f[:want], want)
		}
	}
}

// eventually polls cond every millisecond until it holds or wait has passed, and
// reports whether it held.
func eventually(wait time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// sendPaced sends frames to s once at most half its queue waits: a test that
// sends in a loop while the client reads must not be cut as a slow consumer on a
// busy machine (under -race, with one core, the flusher falls behind a sender
// that only sleeps between sends).
func sendPaced(t *testing.T, s *socket, frames [][]byte) {
	t.Helper()
	if !eventually(5*time.Second, func() bool {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		return len(s.waiting) < queueSize/2
	}) {
		t.Error("the socket's queue stayed half full for 5 s")
	}
	s.send(frames)
}

// agentReady opens one agent socket on a new hub (writing on the plain path if
// plain) and reads its hello and presence; it reads frames of up to 1 MiB.
func agentReady(t *testing.T, plain bool) (*Hub, *websocket.Conn, *socket) {
	t.Helper()
	h := newTestHub(t, &fakeLog{})
	h.auth = agentAuth{}
	h.cfg.PlainWrites = plain
	c := dialHub(t, h, "")
	c.SetReadLimit(1 << 20)
	if got, err := readFrames(c, 2); err != nil || strings.Join(got, ",") != "hello,presence" {
		t.Fatalf("got %v (%v), want hello, presence", got, err)
	}
	return h, c, firstSocket(t, h)
}

// firstSocket waits for h's only socket to be served.
func firstSocket(t *testing.T, h *Hub) *socket {
	t.Helper()
	var s *socket
	if !eventually(5*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for s = range h.admins {
			return true
		}
		return false
	}) {
		t.Fatal("no socket registered")
	}
	return s
}

// The library's reader takes every length the socket's writer produces, a batch
// in one writev included. Both sends are over 64 KiB (directMaxBytes on Linux),
// so neither is written directly: TestDirectFramesReadByTheLibrary covers those.
func TestWriterFramesReadByTheLibrary(t *testing.T) { writerFramesRead(t, false) }

func writerFramesRead(t *testing.T, plain bool) {
	h, c, s := agentReady(t, plain)
	if plain != (s.wire == nil) {
		t.Fatalf("plain %v, but the socket's wireConn is %v", plain, s.wire)
	}
	var batch [][]byte
	for _, n := range frameSizes {
		batch = append(batch, textFrame(bytes.Repeat([]byte{'y'}, n)))
	}
	d0 := counterValue(h.metrics.direct)
	s.send(batch)      // one writev
	s.send(batch[7:8]) // one write
	for i, n := range append(frameSizes, 65536) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		typ, b, err := c.Read(ctx)
		cancel()
		if err != nil || typ != websocket.MessageText || len(b) != n || bytes.Count(b, []byte{'y'}) != n {
			t.Fatalf("frame %d: got type %v, %d bytes (%v), want text of %d", i, typ, len(b), err, n)
		}
	}
	if got := counterValue(h.metrics.direct) - d0; got != 0 {
		t.Fatalf("%v frames written directly, want none", got)
	}
}

// recordConn records every Write made to the connection after the handshake.
type recordConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *recordConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) {
		c.writes = append(c.writes, bytes.Clone(p))
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

type recordListener struct {
	net.Listener
	conns chan *recordConn
}

func (l recordListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	rc := &recordConn{Conn: c}
	l.conns <- rc
	return rc, nil
}

// The library's control frames (pongs, the close) and the socket's writer share
// the connection: every Write must be whole frames, never a part of one, and
// nothing may follow the close frame. recordConn hides the *net.TCPConn from
// Hijack, so no frame is written directly here: direct writes beside pongs are
// TestDirectWritesAndPongsShareTheConnection's.
func TestWriterAndControlFramesNeverInterleave(t *testing.T) {
	h := newTestHub(t, &fakeLog{})
	h.auth = agentAuth{}
	ts := httptest.NewUnstartedServer(h)
	ln := recordListener{Listener: ts.Listener, conns: make(chan *recordConn, 1)}
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(ts.URL, "http", "ws", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	rc := <-ln.conns
	s := firstSocket(t, h)

	// The client reads (which answers nothing, but lets its pings complete) while
	// the server writes batches and answers pings at the same time.
	readDone := make(chan error, 1)
	go func() {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				readDone <- err
				return
			}
		}
	}()
	frame := textFrame(bytes.Repeat([]byte{'z'}, 100))
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 200 {
			sendPaced(t, s, [][]byte{frame, frame, frame})
			time.Sleep(100 * time.Microsecond)
		}
	})
	for range 50 {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	// Killing a socket drops what its queue still holds: wait for the writer.
	if !eventually(5*time.Second, func() bool {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		return s.pending == 0
	}) {
		t.Fatal("batches still queued")
	}
	s.kill(closeSlowConsumer)
	err = <-readDone
	if websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("got %v, want close 1008", err)
	}

	if got := counterValue(h.metrics.direct); got != 0 {
		t.Fatalf("%v frames written directly, want none", got)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	// A frame may take several writes (a snapshot is written in parts, which a
	// connection without writev gets one by one), but no write may hold parts of
	// two, and a control frame must be one write of its own.
	counts := map[byte]int{}
	var stream []byte
	ends := map[int]bool{0: true} // offsets in stream where a write ended
	for _, w := range rc.writes {
		stream = append(stream, w...)
		ends[len(stream)] = true
	}
	for at, i := 0, 0; at < len(stream); i++ {
		n, hdr, err := parseFrame(stream[at:])
		if err != nil || at+hdr+n > len(stream) {
			t.Fatalf("frame %d at byte %d (% x…) is not whole: %v", i, at, stream[at:min(len(stream), at+12)], err)
		}
		op := stream[at] & 0x0f
		if !ends[at] || !ends[at+hdr+n] {
			t.Fatalf("frame %d (opcode %#x) does not start and end with a write", i, op)
		}
		counts[op]++
		at += hdr + n
		if op == 0x8 && at != len(stream) {
			t.Fatalf("frame %d is a close frame, but %d bytes follow it", i, len(stream)-at)
		}
	}
	// hello, presence and 600 frames; a pong per ping; one close.
	if counts[0x1] != 602 || counts[0xA] != 50 || counts[0x8] != 1 {
		t.Fatalf("got %d text frames, %d pongs, %d close frames, want 602, 50, 1", counts[0x1], counts[0xA], counts[0x8])
	}
}
