package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

const (
	// readLimit bounds one inbound frame in the tool: presence frames list every
	// agent online, so they outgrow the library's 32 KiB default.
	readLimit = 8 << 20
	// dialTimeout bounds one handshake.
	dialTimeout = 30 * time.Second
	// bufKeep is the largest read buffer returned to the pool.
	bufKeep = 64 << 10
)

// receiver is the state every socket of a run shares: the send times of the
// replies (to time their delivery) and counters to watch progress.
type receiver struct {
	marker []byte         // "sb.<run>."
	sent   []atomic.Int64 // unix nanoseconds just before the POST of reply n; 0: not sent

	frames    atomic.Int64 // every frame received
	lastFrame atomic.Int64 // unix nanoseconds of the last frame
	hellos    atomic.Int64
	replies   atomic.Int64 // deliveries of this run's replies
	setup     atomic.Int64 // deliveries of this run's ticket creations (c and t keys)
	lastReply atomic.Int64 // unix nanoseconds
	lastEvent atomic.Int64 // with stamp: unix nanoseconds of the last frame with an event id
	bytes     atomic.Int64
	// stamp: every socket keeps the arrival time of each event (listen, which
	// times events it did not cause from their "at").
	stamp bool
	// bufs are the readers' frame buffers (-reader go).
	bufs sync.Pool
}

func newReceiver(run string, maxReplies int) *receiver {
	rx := &receiver{marker: []byte("sb." + run + "."), sent: make([]atomic.Int64, maxReplies)}
	rx.bufs.New = func() any { return bytes.NewBuffer(make([]byte, 0, 2048)) }
	return rx
}

// sample is one delivery of reply n, d after its POST started.
type sample struct {
	n int32
	d time.Duration
}

// socket is one WebSocket of the tool with one reader goroutine. Everything after
// done is closed may be read by others; before, only the reader touches it.
type socket struct {
	i      int
	who    *identity.User
	target int
	rx     *receiver
	conn   *websocket.Conn // with -reader go
	raw    *rawConn        // with -reader epoll

	dialStart time.Time
	dialDur   time.Duration
	helloAt   atomic.Int64 // unix nanoseconds
	pongs     atomic.Int64
	done      chan struct{}

	got        []ledger.Recv // recorded events, in arrival order
	arrived    []int64       // with rx.stamp: unix nanoseconds each of got arrived
	helloLast  int64         // hello's lastEventId: the newest id of the log at connect
	lat        []sample      // this run's replies
	presence   int
	errs       int
	resets     int
	unparsed   int
	err        error
	closeCode  websocket.StatusCode // from the server's close frame; -1 when none
	closedByUs bool

	// With pause set (slow's stalled sockets), the reader stops between frames
	// until resume is closed.
	pause  *atomic.Bool
	resume <-chan struct{}
}

// readLoop reads frames until the connection ends. It runs without a context: the
// library then arms no timer per read, and closing the connection ends it.
func (s *socket) readLoop(e *env) {
	defer close(s.done)
	for {
		if s.pause != nil && s.pause.Load() {
			<-s.resume
		}
		_, r, err := s.conn.Reader(context.Background())
		if err != nil {
			s.err, s.closeCode, s.closedByUs = err, websocket.CloseStatus(err), e.closing.Load()
			return
		}
		at := time.Now()
		buf := s.rx.bufs.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		if err == nil {
			s.handle(buf.Bytes(), at)
		}
		if buf.Cap() <= bufKeep {
			s.rx.bufs.Put(buf)
		}
		if err != nil {
			s.err, s.closeCode, s.closedByUs = err, websocket.CloseStatus(err), e.closing.Load()
			return
		}
	}
}

func (s *socket) handle(b []byte, at time.Time) {
	rx := s.rx
	rx.frames.Add(1)
	rx.bytes.Add(int64(len(b)))
	rx.lastFrame.Store(at.UnixNano())
	f, ok := parseFrame(b, rx.marker)
	if !ok {
		s.unparsed++
		return
	}
	switch f.typ {
	case fHello:
		if s.helloAt.Load() == 0 {
			s.helloLast = helloLastID(b)
			s.helloAt.Store(at.UnixNano())
			rx.hellos.Add(1)
		}
	case fPresence:
		s.presence++
	case fPong:
		s.pongs.Add(1)
	case fError:
		s.errs++
	case fReset:
		s.resets++
	}
	if f.id == 0 {
		return
	}
	s.got = append(s.got, ledger.Recv{ID: f.id, Key: f.key})
	if rx.stamp {
		s.arrived = append(s.arrived, at.UnixNano())
		rx.lastEvent.Store(at.UnixNano())
	}
	if k := ledger.KindOf(f.key); k == ledger.KindCreated || k == ledger.KindFirst {
		rx.setup.Add(1)
	}
	if ledger.KindOf(f.key) == ledger.KindReply {
		rx.replies.Add(1)
		rx.lastReply.Store(at.UnixNano())
		if n := ledger.NumOf(f.key); n < len(rx.sent) {
			if t0 := rx.sent[n].Load(); t0 != 0 {
				s.lat = append(s.lat, sample{n: int32(n), d: at.Sub(time.Unix(0, t0))})
			}
		}
	}
}

// opened says the socket was opened (it may have ended since).
func (s *socket) opened() bool { return s.conn != nil || s.raw != nil }

func (s *socket) helloDur() time.Duration {
	h := s.helloAt.Load()
	if h == 0 {
		return 0
	}
	return time.Unix(0, h).Sub(s.dialStart)
}

// connectSettled connects socks, records the connect figures in r.Connect, and
// waits up to helloWait for every hello, then for the frames to settle. It
// returns how long the settling took.
func (e *env) connectSettled(ctx context.Context, r *report.Report, rx *receiver, socks []*socket, helloWait time.Duration) time.Duration {
	conn := e.connect(ctx, socks)
	conn.Hello = waitHello(ctx, rx, socks, helloWait)
	r.Connect = &conn
	return settle(ctx, rx, time.Second, e.c.settle)
}

// connect opens the sockets at about the configured rate, each with its reader.
// Sockets that fail to open stay unopened.
func (e *env) connect(ctx context.Context, socks []*socket) report.ConnectStats {
	st := report.ConnectStats{Attempted: len(socks)}
	var failed codes
	var opened atomic.Int64
	start := time.Now()
	rate := e.c.connectRate
	if rate <= 0 {
		rate = 1e9
	}
	conc := max(1, e.c.connectConc)
	next := make(chan *socket)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for s := range next {
				var err error
				if e.poll != nil {
					err = e.dialRaw(ctx, s)
				} else {
					err = e.dial(ctx, s, "")
				}
				if err != nil {
					status := 0
					var he *handshakeError
					if errors.As(err, &he) {
						status, err = he.status, nil
					}
					failed.add(status, err)
					continue
				}
				opened.Add(1)
				if s.conn != nil {
					go s.readLoop(e)
				}
			}
		})
	}
	// Paced: socket i is handed out no earlier than start + i/rate.
	tick := time.NewTicker(max(time.Millisecond, time.Duration(float64(time.Second)/rate)))
	sent := 0
pace:
	for sent < len(socks) {
		due := min(len(socks), int(time.Since(start).Seconds()*rate)+1)
		for ; sent < due; sent++ {
			select {
			case next <- socks[sent]:
			case <-ctx.Done():
				break pace
			}
		}
		if sent < len(socks) {
			select {
			case <-tick.C:
			case <-ctx.Done():
				break pace
			}
		}
	}
	tick.Stop()
	close(next)
	wg.Wait()
	st.Elapsed = time.Since(start)
	st.ElapsedS = st.Elapsed.Seconds()
	st.Opened = int(opened.Load())
	st.Failed = failed.snapshot()
	if st.Elapsed > 0 {
		st.Rate = float64(st.Opened) / st.Elapsed.Seconds()
	}
	var hs []time.Duration
	for _, s := range socks {
		if s.opened() {
			hs = append(hs, s.dialDur)
		}
	}
	st.Handshake = report.DistOf(hs)
	return st
}

type handshakeError struct{ status int }

func (h *handshakeError) Error() string { return "handshake: HTTP " + strconv.Itoa(h.status) }

// dial opens s through the WebSocket library; query ("?lastEventId=12", or "")
// is added to the URL. It does not start the reader.
func (e *env) dial(ctx context.Context, s *socket, query string) error {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", s.who.Bearer)
	s.dialStart = time.Now()
	conn, resp, err := websocket.Dial(ctx, e.wsURL(s.target)+query, &websocket.DialOptions{
		HTTPClient:      e.ws,
		HTTPHeader:      h,
		CompressionMode: websocket.CompressionDisabled,
	})
	s.dialDur = time.Since(s.dialStart)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return &handshakeError{status: resp.StatusCode}
		}
		return err
	}
	conn.SetReadLimit(readLimit)
	s.conn = conn
	s.done = make(chan struct{})
	return nil
}

// waitHello waits (at most timeout) until every open socket has its hello, and
// returns the time from dial start to hello.
func waitHello(ctx context.Context, rx *receiver, socks []*socket, timeout time.Duration) report.Dist {
	open := 0
	for _, s := range socks {
		if s.opened() {
			open++
		}
	}
	deadline := time.Now().Add(timeout)
	for rx.hellos.Load() < int64(open) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	var ds []time.Duration
	for _, s := range socks {
		if d := s.helloDur(); d > 0 {
			ds = append(ds, d)
		}
	}
	return report.DistOf(ds)
}

// settle waits until no frame arrived for quiet (hello and presence after a
// connect wave), at most max. It returns how long it waited.
func settle(ctx context.Context, rx *receiver, quiet, maxWait time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < maxWait && ctx.Err() == nil {
		last := time.Unix(0, rx.lastFrame.Load())
		if time.Since(last) >= quiet {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// waitSetup waits until want deliveries of the setup's events arrived (at most
// maxWait), then until the sockets are quiet: a burst that has not begun yet
// cannot pass for quiet.
func waitSetup(ctx context.Context, rx *receiver, want int64, maxWait time.Duration) time.Duration {
	start := time.Now()
	for rx.setup.Load() < want && time.Since(start) < maxWait && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	settle(ctx, rx, 500*time.Millisecond, max(0, maxWait-time.Since(start)))
	return time.Since(start)
}

// endAndClose ends the measured phase, closes the sockets, and records the
// servers at the start, at the end and a second after the close (what closing
// gave back), and what the sockets received.
func (e *env) endAndClose(ctx context.Context, r *report.Report, rx *receiver, socks []*socket) {
	r.EndMeasure(e.scrapeAll(ctx, "measure end"))
	e.closeAll(socks)
	e.rest.CloseIdleConnections()
	sleepCtx(context.Background(), time.Second)
	r.Server = append(r.Server, e.scrapeAll(context.Background(), "1s after close")...)
	fc := countFrames(rx, socks)
	r.Frames = &fc
}

// closeAll closes every open socket with a normal close and waits for the readers.
func (e *env) closeAll(socks []*socket) {
	e.closing.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	forEach(ctx, len(socks), 512, func(i int) {
		switch s := socks[i]; {
		case s.conn != nil:
			_ = s.conn.Close(websocket.StatusNormalClosure, "")
		case s.raw != nil:
			s.raw.closeNormal()
		}
	})
	for _, s := range socks {
		if !s.opened() {
			continue
		}
		select {
		case <-s.done:
		case <-ctx.Done():
			if s.conn != nil {
				s.conn.CloseNow()
			} else {
				s.raw.shutdown()
			}
			<-s.done
		}
	}
}

func countFrames(rx *receiver, socks []*socket) report.FrameCounts {
	fc := report.FrameCounts{Frames: rx.frames.Load(), Bytes: rx.bytes.Load(), Disconnects: map[string]int{}}
	for _, s := range socks {
		if !s.opened() {
			continue
		}
		fc.Events += len(s.got)
		fc.Presence += s.presence
		fc.Errors += s.errs
		fc.Resets += s.resets
		fc.Unparsed += s.unparsed
		if s.helloAt.Load() == 0 {
			fc.NoHello++
		}
		select {
		case <-s.done:
			if !s.closedByUs {
				k := "none"
				if s.closeCode != -1 {
					k = strconv.Itoa(int(s.closeCode))
				}
				fc.Disconnects[k]++
			}
		default:
		}
	}
	return fc
}
