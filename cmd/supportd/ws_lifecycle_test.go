package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"

	"github.com/supportd/supportd/store"
)

// A socket opened without lastEventId is live from hello.lastEventId on: its first
// event is hello.lastEventId + 1 and none is missed or repeated after it, even while
// writes are being sequenced and fanned out as it connects.
func TestWSHelloLastEventIdIsWhereTheStreamStarts(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			tk := createTicket(t, base, a, "busy")
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					_, _ = post(base, agent, "/support-tickets/"+string(tk.ID)+"/thread", fmt.Sprintf(`{"message":"m%d"}`, i))
				}
			})
			defer wg.Wait()
			defer close(stop)

			for i := range 15 {
				s := mustDial(t, base, agent, "")
				last, _ := strconv.ParseInt(s.hello(t), 10, 64)
				// An agent sees every event: ids must go on from hello's, by one.
				want := last + 1
				for _, f := range s.events(t, 5, eventWait) {
					if id, _ := strconv.ParseInt(f.ID, 10, 64); id != want {
						t.Fatalf("socket %d: hello.lastEventId %d, got event %d, want %d", i, last, id, want)
					}
					want++
				}
				s.conn.CloseNow()
			}
		})
	}
}

// Cancelling serve's context closes every open socket with 1001, serve returns nil,
// and nothing it started is left running.
func TestWSShutdownClosesSocketsWith1001AndLeaksNothing(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t) // the test database exists before the goroutine snapshot
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

			srv := wsLaunch(t, e, &wsLogBuffer{})
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			// REST over a client of the test's own, whose idle keep-alive
			// connections are closed at the end (their goroutines are not serve's).
			httpc := &http.Client{Transport: &http.Transport{}}
			defer httpc.CloseIdleConnections()
			insert := func() {
				req, _ := http.NewRequest("POST", srv.base+"/support-tickets/insert",
					strings.NewReader(`{"title":"t","category":"billing","threads":[{"message":"m"}]}`))
				req.Header.Set("Authorization", "Bearer "+a.token)
				res, err := httpc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 201 {
					t.Fatalf("insert: got %d, want 201", res.StatusCode)
				}
			}

			socks := []*sock{mustDial(t, srv.base, a, ""), mustDial(t, srv.base, a, ""), mustDial(t, srv.base, agent, "")}
			for _, s := range socks {
				s.hello(t)
			}
			insert()
			for _, s := range socks {
				s.events(t, 3, eventWait)
			}
			// Events still in flight as the server stops may not keep it up.
			insert()

			if err := srv.stop(t); err != nil {
				t.Fatalf("serve returned %v, want nil", err)
			}
			for i, s := range socks {
				code, reason := wsClosedWith(t, s, eventWait)
				if code != websocket.StatusGoingAway {
					t.Fatalf("socket %d: got close %d %q, want 1001", i, code, reason)
				}
			}
			// The server is gone: no new socket.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if c, _, err := websocket.Dial(ctx, strings.Replace(srv.base, "http", "ws", 1)+"/ws", nil); err == nil {
				c.CloseNow()
				t.Fatal("dial after shutdown: got a socket, want a refused connection")
			}
		})
	}
}
