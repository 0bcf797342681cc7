package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// A socket that stops reading is cut within seconds at a steady 400 KB/s, not
// after the megabytes an autotuned kernel send buffer would absorb first (over
// 10 s): the server caps each socket's send buffer. Another socket of the same
// agent gets everything meanwhile.
func TestWSStoppedReaderIsCutWithinSeconds(t *testing.T) {
	const (
		interval = 20 * time.Millisecond // 50 replies a second of ~8 KB each
		bound    = 6 * time.Second
	)
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			normal := wsLive(t, base, agent)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stopped, status, refused := wsUpgrade(t, base, "", wsBearer(agent))
			if stopped == nil {
				t.Fatalf("upgrade: got %d %s, want a socket", status, refused)
			}
			stopped.SetReadLimit(1 << 20)
			if _, _, err := stopped.Read(ctx); err != nil { // hello; then it reads no more
				t.Fatal(err)
			}
			tk := wsTicketSeen(t, base, a, "steady", normal)

			body, _ := json.Marshal(map[string]any{"message": strings.Repeat("x", 8000)})
			var sent, failed atomic.Int64
			firstFailure := make(chan error, 1)
			var wg sync.WaitGroup
			done := make(chan struct{})
			wg.Go(func() {
				tick := time.NewTicker(interval)
				defer tick.Stop()
				for {
					select {
					case <-done:
						return
					case <-tick.C:
						code, err := post(base, agent, "/support-tickets/"+string(tk.ID)+"/thread", string(body))
						if err == nil && code == 201 {
							sent.Add(1)
							continue
						}
						if err == nil {
							err = fmt.Errorf("status %d", code)
						}
						// A failed post means less traffic than the bound assumes,
						// and one the server took anyway breaks the count below:
						// the test goroutine fails on it once the sending stops.
						if failed.Add(1) == 1 {
							firstFailure <- err
						}
					}
				}
			})
			stopSending := sync.OnceFunc(func() { close(done); wg.Wait() })
			defer stopSending()

			start := time.Now()
			for wsMetricValue(t, base, "supportd_ws_slow_disconnects_total") < 1 {
				if time.Since(start) > bound {
					t.Fatalf("after %v and %d replies of 8 KB: the socket that stopped reading is not cut, want it cut within %v",
						time.Since(start), sent.Load(), bound)
				}
				time.Sleep(50 * time.Millisecond)
			}
			took, byThen := time.Since(start), sent.Load()
			// A little more traffic after the cut, which the reading socket must get too.
			time.Sleep(200 * time.Millisecond)
			stopSending()
			if f := failed.Load(); f > 0 {
				t.Fatalf("%d replies failed to post, the first with %v", f, <-firstFailure)
			}
			n := int(sent.Load())
			t.Logf("cut after %v (%d replies sent by then); %d replies in all", took, byThen, n)
			if got := wsMetricValue(t, base, "supportd_ws_slow_disconnects_total"); got != 1 {
				t.Fatalf("slow disconnects: got %v, want 1 (only the socket that stopped reading)", got)
			}

			// The one that stopped finds a close 1008 once it reads again.
			wsSlowConsumerClosed(t, ctx, stopped, "stopped socket")
			// The reading socket got every reply, ids one by one.
			got := normal.events(t, n, 4*eventWait)
			wantConsecutive(t, "reading socket", got)
			for i, ev := range got {
				if ev.Type != "thread.added" {
					t.Fatalf("reading socket, event %d: got %s, want thread.added", i, ev.Type)
				}
			}
			wsStillOpen(t, normal, "the reading socket")
		})
	}
}
