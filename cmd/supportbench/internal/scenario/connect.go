package scenario

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// connectSettled connects socks, records the connect figures in r.Connect, and
// waits up to helloWait for every hello, then for the frames to settle. It
// returns how long the settling took.
func (e *env) connectSettled(ctx context.Context, r *report.Report, rx *wsclient.Receiver, socks []*wsclient.Socket, helloWait time.Duration) time.Duration {
	conn := e.connect(ctx, socks)
	conn.Hello = waitHello(ctx, rx, socks, helloWait)
	r.Connect = &conn
	return settle(ctx, rx, time.Second, e.c.settle)
}

// connect opens the sockets at about the configured rate, each with its reader.
// Sockets that fail to open stay unopened.
func (e *env) connect(ctx context.Context, socks []*wsclient.Socket) report.ConnectStats {
	st := report.ConnectStats{Attempted: len(socks)}
	var failed codes
	var opened atomic.Int64
	start := time.Now()
	rate := e.c.connectRate
	if rate <= 0 {
		rate = 1e9
	}
	conc := max(1, e.c.connectConc)
	next := make(chan *wsclient.Socket)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for s := range next {
				if err := e.ws.Open(ctx, s); err != nil {
					status := 0
					var he *wsclient.HandshakeError
					if errors.As(err, &he) {
						status, err = he.Status, nil
					}
					failed.add(status, err)
					continue
				}
				opened.Add(1)
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
		if s.Opened() {
			hs = append(hs, s.DialDur)
		}
	}
	st.Handshake = report.DistOf(hs)
	return st
}

// waitHello waits (at most timeout) until every open socket has its hello, and
// returns the time from dial start to hello.
func waitHello(ctx context.Context, rx *wsclient.Receiver, socks []*wsclient.Socket, timeout time.Duration) report.Dist {
	open := 0
	for _, s := range socks {
		if s.Opened() {
			open++
		}
	}
	deadline := time.Now().Add(timeout)
	for rx.Hellos.Load() < int64(open) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	var ds []time.Duration
	for _, s := range socks {
		if d := s.HelloDur(); d > 0 {
			ds = append(ds, d)
		}
	}
	return report.DistOf(ds)
}

// settle waits until no frame arrived for quiet (hello and presence after a
// connect wave), at most max. It returns how long it waited.
func settle(ctx context.Context, rx *wsclient.Receiver, quiet, maxWait time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < maxWait && ctx.Err() == nil {
		last := time.Unix(0, rx.LastFrame.Load())
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
func waitSetup(ctx context.Context, rx *wsclient.Receiver, want int64, maxWait time.Duration) time.Duration {
	start := time.Now()
	for rx.Setup.Load() < want && time.Since(start) < maxWait && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	settle(ctx, rx, 500*time.Millisecond, max(0, maxWait-time.Since(start)))
	return time.Since(start)
}

// endAndClose ends the measured phase, closes the sockets, and records the
// servers at the start, at the end and a second after the close (what closing
// gave back), and what the sockets received.
func (e *env) endAndClose(ctx context.Context, r *report.Report, rx *wsclient.Receiver, socks []*wsclient.Socket) {
	r.EndMeasure(e.scrapeAll(ctx, "measure end"))
	e.ws.CloseAll(socks)
	e.rest.CloseIdleConnections()
	sleepCtx(context.Background(), time.Second)
	r.Server = append(r.Server, e.scrapeAll(context.Background(), "1s after close")...)
	fc := countFrames(rx, socks)
	r.Frames = &fc
}

func countFrames(rx *wsclient.Receiver, socks []*wsclient.Socket) report.FrameCounts {
	fc := report.FrameCounts{Frames: rx.Frames.Load(), Bytes: rx.Bytes.Load(), Disconnects: map[string]int{}}
	for _, s := range socks {
		if !s.Opened() {
			continue
		}
		fc.Events += len(s.Got)
		fc.Presence += s.Presence
		fc.Errors += s.Errs
		fc.Resets += s.Resets
		fc.Unparsed += s.Unparsed
		if s.HelloAt.Load() == 0 {
			fc.NoHello++
		}
		select {
		case <-s.Done:
			if !s.ClosedByUs {
				k := "none"
				if s.CloseCode != -1 {
					k = strconv.Itoa(int(s.CloseCode))
				}
				fc.Disconnects[k]++
			}
		default:
		}
	}
	return fc
}
