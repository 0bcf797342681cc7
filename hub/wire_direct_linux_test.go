package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

// gatedReader reads c's messages on its own goroutine while open is set, and
// stops reading (leaving the data in the kernel) while it is not.
type gatedReader struct {
	mu   sync.Mutex
	cond *sync.Cond
	open bool
	msgs chan []byte
	err  chan error
}

func newGatedReader(ctx context.Context, c *websocket.Conn) *gatedReader {
	r := &gatedReader{open: true, msgs: make(chan []byte, 4096), err: make(chan error, 1)}
	r.cond = sync.NewCond(&r.mu)
	go func() {
		for {
			r.mu.Lock()
			for !r.open {
				r.cond.Wait()
			}
			r.mu.Unlock()
			_, b, err := c.Read(ctx)
			if err != nil {
				r.err <- err
				return
			}
			r.msgs <- b
		}
	}()
	return r
}

func (r *gatedReader) set(open bool) {
	r.mu.Lock()
	r.open = open
	r.cond.Broadcast()
	r.mu.Unlock()
}

// Events that alternate between the direct write and the socket's writer (the
// library in the middle of a control frame; a peer that stops reading for a
// moment, then reads again) arrive complete and in order.
func TestDirectAndQueuedWritesStayInOrder(t *testing.T) {
	h := newTestHub(t, &fakeLog{})
	h.auth = agentAuth{}
	// The client's receive buffer is small, so that a pause in its reading soon
	// fills the server's send queue.
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
	}}
	c, _, err := websocket.Dial(ctx, strings.Replace(ts.URL, "http", "ws", 1),
		&websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	r := newGatedReader(ctx, c)
	for _, want := range []string{"hello", "presence"} {
		if b := <-r.msgs; !strings.Contains(string(b), `"type":"`+want+`"`) {
			t.Fatalf("got %s, want %s", b, want)
		}
	}
	s := firstSocket(t, h)

	first := h.cursorNow() + 1
	next := first
	sizes := map[int64]int{}
	deliver := func(n, size int) {
		evs := make([]store.Event, n)
		for i := range evs {
			data, _ := json.Marshal(map[string]string{"message": strings.Repeat("m", size)})
			evs[i] = store.Event{ID: next, Type: store.EventThreadAdded, ClientID: "aaaaaaaaaaaaaaaaaaaaaaaa", Data: data}
			sizes[next] = size
			next++
		}
		h.deliver(evs)
	}
	direct := func() float64 { return counterValue(h.metrics.direct) }
	settle := func() { // until the writer holds nothing and the peer took everything
		t.Helper()
		if !eventually(5*time.Second, func() bool {
			s.wmu.Lock()
			defer s.wmu.Unlock()
			return s.pending == 0 && sendQueue(t, s) == 0
		}) {
			t.Fatal("the socket did not drain")
		}
	}

	// Fast: direct.
	settle()
	d0 := direct()
	for range 10 {
		deliver(1, 100)
	}
	if got := direct() - d0; got != 10 {
		t.Fatalf("reading peer, quiet connection: %v of 10 frames written directly", got)
	}

	// The library holds the connection (as while it writes a pong): the events
	// queue, the writer waits, and so must every event after them.
	s.wire.mu.Lock()
	d0 = direct()
	for i := range 6 {
		deliver(1+i%3, 200)
	}
	if got := direct() - d0; got != 0 {
		s.wire.mu.Unlock()
		t.Fatalf("connection held: %v frames written directly, want 0", got)
	}
	s.wire.mu.Unlock()
	for range 5 {
		deliver(1, 100) // some behind the queue, some direct once it drained
	}

	// The peer stops reading: large runs fill the kernel's buffers, and later
	// ones, large or small, wait in the queue.
	settle()
	r.set(false)
	for i := range 20 {
		if i%2 == 0 {
			deliver(4, 8000)
		} else {
			deliver(1, 50)
		}
	}
	s.wmu.Lock()
	queued := s.pending
	s.wmu.Unlock()
	if queued == 0 {
		t.Fatal("peer not reading: nothing waits for the writer")
	}
	r.set(true)
	for range 10 {
		deliver(1, 100)
		time.Sleep(time.Millisecond)
	}

	prev := first - 1
	for i := range next - first {
		var b []byte
		select {
		case b = <-r.msgs:
		case err := <-r.err:
			t.Fatalf("frame %d: %v", i, err)
		case <-ctx.Done():
			t.Fatalf("frame %d: timed out", i)
		}
		var m struct {
			ID   string
			Data struct{ Message string }
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("frame %d: %v: %.80s", i, err, b)
		}
		id, _ := strconv.ParseInt(m.ID, 10, 64)
		if id != prev+1 {
			t.Fatalf("frame %d: event %d after %d", i, id, prev)
		}
		if len(m.Data.Message) != sizes[id] {
			t.Fatalf("event %d: message of %d bytes, want %d", id, len(m.Data.Message), sizes[id])
		}
		prev = id
	}
	if got := counterValue(h.metrics.slow); got != 0 {
		t.Fatalf("%v slow consumers", got)
	}
	delivered, direct1 := counterValue(h.metrics.delivered), direct()
	t.Logf("%v frames delivered, %v of them directly", delivered, direct1)
	if direct1 == 0 || direct1 == delivered {
		t.Fatalf("%v of %v frames written directly: want both paths taken", direct1, delivered)
	}
}

// sendQueue is the bytes in s's kernel send queue (unsent or unacknowledged).
func sendQueue(t *testing.T, s *socket) int {
	t.Helper()
	raw, err := s.wire.Conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	_ = raw.Control(func(fd uintptr) {
		var q int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, siocOUTQ, uintptr(unsafe.Pointer(&q))); e == 0 {
			n = int(q)
		}
	})
	return n
}

// A direct write that the kernel takes only in part leaves half a frame on the
// wire: the connection is cut at once, counted as a slow consumer, and nothing
// more is written on it — not even the close frame.
func TestPartialDirectWriteCutsTheConnection(t *testing.T) {
	h := newTestHub(t, &fakeLog{})
	h.auth = agentAuth{}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	// A peer with a tiny receive window that reads the handshake and nothing more.
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1) })
	}}
	conn, err := dialer.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := rawUpgrade(t, conn)
	s := firstSocket(t, h)
	// The server's send buffer at its minimum: a 60 KB frame cannot fit.
	if err := s.wire.Conn.(*net.TCPConn).SetWriteBuffer(1); err != nil {
		t.Fatal(err)
	}
	if !eventually(5*time.Second, func() bool { return sendQueue(t, s) == 0 }) {
		t.Fatal("hello and presence not acknowledged")
	}
	frame := textFrame(bytes.Repeat([]byte{'p'}, 60000))
	s.send([][]byte{frame})
	s.wire.mu.Lock()
	cut := s.wire.cut
	s.wire.mu.Unlock()
	if !cut {
		t.Skipf("the kernel took the frame whole or not at all (direct: %v): no partial write to test", counterValue(h.metrics.direct))
	}
	if slow, dropped := counterValue(h.metrics.slow), counterValue(h.metrics.dropped); slow != 1 || dropped != 1 {
		t.Fatalf("slow %v, dropped %v: want 1, 1", slow, dropped)
	}
	// Later frames are not written, by anyone.
	s.send([][]byte{textFrame([]byte("after"))})
	if !eventually(5*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.all) == 0
	}) {
		t.Fatal("the socket is still served")
	}
	// The peer reads the hello, the presence, part of the big frame, then the
	// end of the connection: no close frame, nothing after.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection not closed: %v", err)
	}
	off := 0
	for _, want := range []string{"hello", "presence"} {
		n, hdr, err := parseFrame(rest[off:])
		if err != nil || !bytes.Contains(rest[off+hdr:off+hdr+n], []byte(`"type":"`+want+`"`)) {
			t.Fatalf("frame at %d: %v, want %s", off, err, want)
		}
		off += hdr + n
	}
	tail := rest[off:]
	if len(tail) == 0 || len(tail) >= len(frame) || !bytes.Equal(tail, frame[:len(tail)]) {
		t.Fatalf("after presence: %d bytes, want a strict prefix of the %d-byte frame", len(tail), len(frame))
	}
	t.Logf("the peer got %d of the frame's %d bytes, then the end of the connection", len(tail), len(frame))
}

// Direct writes and the library's pongs share the connection without corrupting
// it: the client, pinging all along, reads every frame whole.
func TestDirectWritesAndPongsShareTheConnection(t *testing.T) {
	h := newTestHub(t, &fakeLog{})
	h.auth = agentAuth{}
	c := dialHub(t, h, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := firstSocket(t, h)
	var got atomic.Int64
	readErr := make(chan error, 1)
	go func() {
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				readErr <- err
				return
			}
			if bytes.Equal(b, bytes.Repeat([]byte{'z'}, 100)) {
				got.Add(1)
			}
		}
	}()
	frame := textFrame(bytes.Repeat([]byte{'z'}, 100))
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 300 {
			sendPaced(t, s, [][]byte{frame, frame})
			time.Sleep(50 * time.Microsecond)
		}
	})
	for range 100 {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if !eventually(5*time.Second, func() bool { return got.Load() == 600 }) {
		t.Fatalf("client read %d of 600 frames (%v delivered)", got.Load(), counterValue(h.metrics.delivered))
	}
	select {
	case err := <-readErr:
		t.Fatalf("client: %v", err)
	default:
	}
	t.Logf("%v of 600 frames written directly", counterValue(h.metrics.direct))
	if counterValue(h.metrics.direct) == 0 {
		t.Fatal("no frame written directly")
	}
}

// The library's reader takes every length a direct write produces: a batch in one
// writev across the 7-bit/16-bit length boundaries, and one frame in one write as
// large as a direct write may be.
func TestDirectFramesReadByTheLibrary(t *testing.T) {
	h, c, s := agentReady(t, false)
	sizes := []int{0, 1, 125, 126, 127, 1000, directMaxBytes - 4} // the last with its 4-byte header fills directMaxBytes
	var frames [][]byte
	for _, n := range sizes {
		frames = append(frames, textFrame(bytes.Repeat([]byte{'y'}, n)))
	}
	d0 := counterValue(h.metrics.direct)
	for _, batch := range [][][]byte{frames[:6], frames[6:]} {
		// A direct write needs the send queue empty (the peer's kernel acked all).
		if !eventually(5*time.Second, func() bool { return sendQueue(t, s) == 0 }) {
			t.Fatal("the send queue did not drain")
		}
		s.send(batch)
	}
	for i, n := range sizes {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		typ, b, err := c.Read(ctx)
		cancel()
		if err != nil || typ != websocket.MessageText || len(b) != n || bytes.Count(b, []byte{'y'}) != n {
			t.Fatalf("frame %d: got type %v, %d bytes (%v), want text of %d", i, typ, len(b), err, n)
		}
	}
	if got := counterValue(h.metrics.direct) - d0; got != float64(len(sizes)) {
		t.Fatalf("%v of %d frames written directly", got, len(sizes))
	}
}
