package hub

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/supportd/supportd/store"
)

// rawPeer opens a WebSocket to ts by hand and reads it in large gulps, every
// 250 ms, discarding what it reads: the reading side costs next to nothing, so what
// the benchmark measures is the server's writing.
func rawPeer(b *testing.B, ts *httptest.Server) net.Conn {
	b.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		b.Fatal(err)
	}
	br := rawUpgrade(b, c)
	go func() {
		buf := make([]byte, 256<<10)
		_, _ = br.Read(buf)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
	}()
	return c
}

// rawUpgrade makes the WebSocket handshake on c by hand and returns the reader of
// what the server sends after its answer.
func rawUpgrade(tb testing.TB, c net.Conn) *bufio.Reader {
	tb.Helper()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("handshake: %v %v", res, err)
	}
	return br
}

// manyAgents authenticates every socket as another super admin (one caller may
// hold only 20).
type manyAgents struct{ n *atomic.Int64 }

func (a manyAgents) AuthenticateSocket(*http.Request) (store.Caller, time.Time, error) {
	id := store.ID(fmt.Sprintf("%024x", a.n.Add(1)))
	return store.Caller{ID: id, Name: "Agent", Role: store.RoleSuperAdmin}, time.Now().Add(time.Hour), nil
}

func counterValue(c interface{ Write(*dto.Metric) error }) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() (user, sys time.Duration) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// BenchmarkFanOut delivers runs of events to 1,000 super-admin sockets over
// loopback, one run at a time (each waits until every socket wrote it), and reports
// wall and process CPU time (all, and user only) per frame written.
//
//	go test ./hub/ -run '^$' -bench FanOut -benchtime 200x
func BenchmarkFanOut(b *testing.B) {
	for _, run := range []int{1, 8} {
		b.Run(fmt.Sprintf("run=%d", run), func(b *testing.B) {
			const sockets = 1000
			log := &fakeLog{}
			h := newTestHub(b, log)
			h.auth = manyAgents{new(atomic.Int64)}
			ts := httptest.NewServer(h)
			defer ts.Close()
			defer h.Close(context.Background())
			for range sockets {
				defer rawPeer(b, ts).Close()
			}
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
				h.mu.Lock()
				n := len(h.admins)
				h.mu.Unlock()
				if n == sockets {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d sockets registered, want %d", n, sockets)
				}
			}
			data, _ := json.Marshal(map[string]string{"message": strings.Repeat("x", 300)})
			next := h.cursorNow() + 1
			base := counterValue(h.metrics.delivered)
			direct0 := counterValue(h.metrics.direct)
			b.ResetTimer()
			user0, sys0 := cpuTime()
			t0 := time.Now()
			for i := range b.N {
				evs := make([]store.Event, run)
				for j := range evs {
					evs[j] = store.Event{ID: next, Type: store.EventThreadAdded, ClientID: "aaaaaaaaaaaaaaaaaaaaaaaa", Data: data}
					next++
				}
				h.deliver(evs)
				want := base + float64((i+1)*run*sockets)
				for counterValue(h.metrics.delivered) < want {
					time.Sleep(50 * time.Microsecond)
				}
			}
			frames := float64(b.N * run * sockets)
			b.ReportMetric(float64(time.Since(t0).Nanoseconds())/frames, "wall-ns/frame")
			user, sys := cpuTime()
			b.ReportMetric(float64((user-user0+sys-sys0).Nanoseconds())/frames, "cpu-ns/frame")
			// System time is mostly the write(2) itself; user time is what the
			// server's own code and the runtime add to it (and the peers' reads).
			b.ReportMetric(float64((user-user0).Nanoseconds())/frames, "user-ns/frame")
			// The share of frames the fan-out wrote itself (see socket.push).
			b.ReportMetric(100*(counterValue(h.metrics.direct)-direct0)/frames, "direct-%")
			if got := counterValue(h.metrics.slow); got != 0 {
				b.Fatalf("%v sockets cut as slow", got)
			}
		})
	}
}
