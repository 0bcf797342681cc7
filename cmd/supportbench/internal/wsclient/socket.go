// Package wsclient is the tool's WebSocket client: sockets that read through
// coder/websocket (a goroutine each) or through a few epoll loops of its own
// (Linux), the parse of the server's frames, and the counters a run shares.
package wsclient

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
)

const (
	// ReadLimit bounds one inbound frame in the tool: presence frames list every
	// agent online, so they outgrow the library's 32 KiB default.
	ReadLimit = 8 << 20
	// DialTimeout bounds one handshake.
	DialTimeout = 30 * time.Second
	// bufKeep is the largest read buffer returned to the pool.
	bufKeep = 64 << 10
	// messageBufKeep is the largest message buffer the Go reader returns to its
	// pool: presence snapshots run to hundreds of KiB, and a new buffer for each
	// (cleared by the runtime) was a tenth of the tool's CPU in a connect wave.
	messageBufKeep = 1 << 20
	// closeConcurrency bounds the normal closes in flight at the end of a run.
	closeConcurrency = 512
)

// Receiver is the state every socket of a run shares: the send times of the
// replies (to time their delivery) and counters to watch progress.
type Receiver struct {
	marker []byte         // "sb.<run>."
	Sent   []atomic.Int64 // unix nanoseconds just before the POST of reply n; 0: not sent

	Frames    atomic.Int64 // every frame received
	LastFrame atomic.Int64 // unix nanoseconds of the last frame
	Hellos    atomic.Int64
	Replies   atomic.Int64 // deliveries of this run's replies
	Setup     atomic.Int64 // deliveries of this run's ticket creations (c and t keys)
	LastReply atomic.Int64 // unix nanoseconds
	LastEvent atomic.Int64 // with Stamp: unix nanoseconds of the last frame with an event id
	Bytes     atomic.Int64
	// Stamp: every socket keeps the arrival time of each event (listen, which
	// times events it did not cause from their "at").
	Stamp bool
	// Roster, when set, has sockets with a View keep it from presence frames.
	Roster *Roster
	// bufs are the readers' frame buffers (-reader go).
	bufs sync.Pool
}

// NewReceiver is the receiver of run, timing up to maxReplies replies.
func NewReceiver(run string, maxReplies int) *Receiver {
	rx := &Receiver{marker: []byte("sb." + run + "."), Sent: make([]atomic.Int64, maxReplies)}
	rx.bufs.New = func() any { return bytes.NewBuffer(make([]byte, 0, 2048)) }
	return rx
}

// Sample is one delivery of reply N, Took after its POST started.
type Sample struct {
	N    int32
	Took time.Duration
}

// Socket is one WebSocket of the tool with one reader goroutine. Everything after
// Done is closed may be read by others; before, only the reader touches it.
type Socket struct {
	Index  int
	Who    *identity.User
	Target int
	RX     *Receiver
	Conn   *websocket.Conn // with -reader go
	raw    *rawConn        // with -reader epoll

	dialStart time.Time
	DialDur   time.Duration
	HelloAt   atomic.Int64 // unix nanoseconds
	Pongs     atomic.Int64
	Done      chan struct{}

	Got       []ledger.Recv // recorded events, in arrival order
	Arrived   []int64       // with RX.Stamp: unix nanoseconds each of Got arrived
	HelloLast int64         // hello's lastEventId: the newest id of the log at connect
	Latencies []Sample      // this run's replies
	Presence  int
	// View, when set before the socket opens (and RX.Roster is), is kept current
	// from the presence frames.
	View       *PresenceView
	Errs       int
	Resets     int
	Unparsed   int
	Err        error
	CloseCode  websocket.StatusCode // from the server's close frame; -1 when none
	ClosedByUs bool

	// With Pause set (slow's stalled sockets), the reader stops between frames
	// until Resume is closed.
	Pause  *atomic.Bool
	Resume <-chan struct{}
}

// readLoop reads frames until the connection ends. It runs without a context: the
// library then arms no timer per read, and closing the connection ends it.
func (s *Socket) readLoop(d *Dialer) {
	defer close(s.Done)
	for {
		if s.Pause != nil && s.Pause.Load() {
			<-s.Resume
		}
		_, r, err := s.Conn.Reader(context.Background())
		if err != nil {
			s.Err, s.CloseCode, s.ClosedByUs = err, websocket.CloseStatus(err), d.closing.Load()
			return
		}
		at := time.Now()
		buf := s.RX.bufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			s.handle(buf.Bytes(), at)
		}
		if buf.Cap() <= messageBufKeep {
			s.RX.bufs.Put(buf)
		}
		if err != nil {
			s.Err, s.CloseCode, s.ClosedByUs = err, websocket.CloseStatus(err), d.closing.Load()
			return
		}
	}
}

func (s *Socket) handle(b []byte, at time.Time) {
	rx := s.RX
	rx.Frames.Add(1)
	rx.Bytes.Add(int64(len(b)))
	rx.LastFrame.Store(at.UnixNano())
	f, ok := parseFrame(b, rx.marker)
	if !ok {
		s.Unparsed++
		return
	}
	switch f.typ {
	case fHello:
		if s.HelloAt.Load() == 0 {
			s.HelloLast = helloLastID(b)
			s.HelloAt.Store(at.UnixNano())
			rx.Hellos.Add(1)
		}
	case fPresence, fPresenceChanged:
		s.Presence++
		if s.View != nil && rx.Roster != nil {
			s.View.apply(rx.Roster, b, f.typ == fPresence, at.UnixNano())
		}
	case fPong:
		s.Pongs.Add(1)
	case fError:
		s.Errs++
	case fReset:
		s.Resets++
	}
	if f.id == 0 {
		return
	}
	s.Got = append(s.Got, ledger.Recv{ID: f.id, Key: f.key})
	if rx.Stamp {
		s.Arrived = append(s.Arrived, at.UnixNano())
		rx.LastEvent.Store(at.UnixNano())
	}
	if k := ledger.KindOf(f.key); k == ledger.KindCreated || k == ledger.KindFirst {
		rx.Setup.Add(1)
	}
	if ledger.KindOf(f.key) == ledger.KindReply {
		rx.Replies.Add(1)
		rx.LastReply.Store(at.UnixNano())
		if n := ledger.NumOf(f.key); n < len(rx.Sent) {
			if t0 := rx.Sent[n].Load(); t0 != 0 {
				s.Latencies = append(s.Latencies, Sample{N: int32(n), Took: at.Sub(time.Unix(0, t0))})
			}
		}
	}
}

// Cut drops the connection without a close frame, as a network cut would, and
// waits for the reader to end.
func (s *Socket) Cut() {
	s.Conn.CloseNow()
	<-s.Done
}

// Opened says the socket was opened (it may have ended since).
func (s *Socket) Opened() bool { return s.Conn != nil || s.raw != nil }

// HelloDur is the time from dial start to hello (0 without hello).
func (s *Socket) HelloDur() time.Duration {
	h := s.HelloAt.Load()
	if h == 0 {
		return 0
	}
	return time.Unix(0, h).Sub(s.dialStart)
}

// HandshakeError is a handshake the server answered with another status than 101.
type HandshakeError struct{ Status int }

// Error names the status.
func (h *HandshakeError) Error() string { return "handshake: HTTP " + strconv.Itoa(h.Status) }

// Dial opens s through the WebSocket library; query ("?lastEventId=12", or "")
// is added to the URL. It does not start the reader.
func (d *Dialer) Dial(ctx context.Context, s *Socket, query string) error {
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", s.Who.Bearer)
	s.dialStart = time.Now()
	conn, resp, err := websocket.Dial(ctx, d.URLs[s.Target]+query, &websocket.DialOptions{
		HTTPClient:      d.HTTP,
		HTTPHeader:      h,
		CompressionMode: websocket.CompressionDisabled,
	})
	s.DialDur = time.Since(s.dialStart)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return &HandshakeError{Status: resp.StatusCode}
		}
		return err
	}
	conn.SetReadLimit(ReadLimit)
	s.Conn = conn
	s.Done = make(chan struct{})
	return nil
}

// CloseAll closes every open socket with a normal close and waits for the readers.
func (d *Dialer) CloseAll(socks []*Socket) {
	d.closing.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A normal close waits for the server's close frame: many at once.
	sem := make(chan struct{}, closeConcurrency)
	var wg sync.WaitGroup
	for _, s := range socks {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			switch {
			case s.Conn != nil:
				_ = s.Conn.Close(websocket.StatusNormalClosure, "")
			case s.raw != nil:
				s.raw.closeNormal()
			}
		})
	}
	wg.Wait()
	for _, s := range socks {
		if !s.Opened() {
			continue
		}
		select {
		case <-s.Done:
		case <-ctx.Done():
			if s.Conn != nil {
				s.Conn.CloseNow()
			} else {
				s.raw.shutdown()
			}
			<-s.Done
		}
	}
}
