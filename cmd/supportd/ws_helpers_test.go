package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
)

// Helpers of the ws_*_test.go files: a serve whose logs and shutdown the test
// controls, raw upgrades that keep the refused answer, and readers for close codes,
// presence and metrics.

// wsLogBuffer is a bytes.Buffer the server's logger and the test may share.
type wsLogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *wsLogBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *wsLogBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// wsServer is a serve started by wsLaunch: its base URL, and stop, which cancels its
// context and returns what serve returned.
type wsServer struct {
	base   string
	stdout *bytes.Buffer // what serve printed (the dev-mode tokens)
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// stop cancels serve's context and waits (at most 15 s) for serve to return.
func (s *wsServer) stop(t *testing.T) error {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		select {
		case s.err = <-s.done:
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop within 15 s")
		}
	})
	return s.err
}

// wsLaunch runs the real serve on port 0 like startServe, but with its logger writing
// to logs (at debug level: everything) and with the stop under the test's control.
// A server the test did not stop is stopped at cleanup and must return nil.
func wsLaunch(t *testing.T, env map[string]string, logs io.Writer) *wsServer {
	t.Helper()
	cfg, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	s := &wsServer{cancel: cancel, done: make(chan error, 1), stdout: &bytes.Buffer{}}
	go func() { s.done <- serve(ctx, cfg, nil, newLogger(logs, "debug"), s.stdout, ready) }()
	select {
	case addr := <-ready:
		s.base = "http://" + addr
	case err := <-s.done:
		cancel()
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	t.Cleanup(func() {
		if err := s.stop(t); err != nil {
			t.Errorf("serve returned %v, want nil", err)
		}
	})
	return s
}

// wsUpgrade tries to open /ws with exactly the given headers (no token unless one is
// in them) and returns the connection, or the refused answer's status and body.
func wsUpgrade(t *testing.T, base, query string, header http.Header) (*websocket.Conn, int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.Replace(base, "http", "ws", 1) + "/ws"
	if query != "" {
		url += "?" + query
	}
	c, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err == nil {
		t.Cleanup(func() { c.CloseNow() })
		return c, res.StatusCode, ""
	}
	if res == nil {
		t.Fatalf("upgrade: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	return nil, res.StatusCode, string(b)
}

// wsBearer is the header of an upgrade authenticated as p.
func wsBearer(p person, kv ...string) http.Header {
	h := http.Header{}
	if p.token != "" {
		h.Set("Authorization", "Bearer "+p.token)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// wsWantRefused checks a refused upgrade: its status and the contract's error shape.
func wsWantRefused(t *testing.T, what string, c *websocket.Conn, status int, body string, wantStatus int, wantCode string) {
	t.Helper()
	if c != nil {
		c.CloseNow()
		t.Fatalf("%s: got an open socket, want %d %s", what, wantStatus, wantCode)
	}
	var e struct{ Code, Message string }
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("%s: got body %q, want {code, message}", what, body)
	}
	if status != wantStatus || e.Code != wantCode || e.Message == "" {
		t.Fatalf("%s: got %d %s %q, want %d %s with a message", what, status, e.Code, e.Message, wantStatus, wantCode)
	}
}

// wsClosedWith waits for s to be closed by the server and returns the close status
// and reason; frames that arrive before the close are skipped.
func wsClosedWith(t *testing.T, s *sock, wait time.Duration) (websocket.StatusCode, string) {
	t.Helper()
	select {
	case err := <-s.closed:
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			return websocket.CloseStatus(err), err.Error()
		}
		return ce.Code, ce.Reason
	case <-time.After(wait):
		t.Fatalf("socket still open after %v, want it closed", wait)
	}
	return 0, ""
}

// wsStillOpen proves the socket answers: ping, and pong is the next frame that is not
// presence.
func wsStillOpen(t *testing.T, s *sock, what string) {
	t.Helper()
	s.send(t, `{"type":"ping"}`)
	if f := s.next(t, eventWait); f.Type != "pong" {
		t.Fatalf("%s: got %s, want pong (the socket stays open)", what, f.raw)
	}
}

// wsWantError reads the next frame that is not presence and checks it is an error
// with code, without an id.
func wsWantError(t *testing.T, s *sock, what, code string) {
	t.Helper()
	f := s.next(t, eventWait)
	var d struct{ Code, Message string }
	_ = json.Unmarshal(f.Data, &d)
	if f.Type != "error" || f.ID != "" || d.Code != code || d.Message == "" {
		t.Fatalf("%s: got %s, want an error frame with code %s and a message", what, f.raw, code)
	}
}

// wsPresence is the data of a presence frame.
type wsPresence struct {
	Online       *[]store.Person `json:"online"`
	AgentsOnline *int            `json:"agentsOnline"`
}

// wsNextPresence reads the next frame, which must be presence, and decodes it; any
// other frame fails the test.
func wsNextPresence(t *testing.T, s *sock, wait time.Duration) wsPresence {
	t.Helper()
	f := s.next(t, wait, true)
	if f.Type != "presence" || f.ID != "" {
		t.Fatalf("got %s, want a presence frame without id", f.raw)
	}
	var p wsPresence
	if err := json.Unmarshal(f.Data, &p); err != nil {
		t.Fatalf("presence %s: %v", f.raw, err)
	}
	return p
}

// wsNoPresenceFor proves no presence frame (nor anything else) arrives within d.
func wsNoPresenceFor(t *testing.T, s *sock, d time.Duration) {
	t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			t.Fatalf("socket closed: %v", <-s.closed)
		}
		t.Fatalf("got %s, want nothing for %v", f.raw, d)
	case <-time.After(d):
	}
}

// wsAgentsOnline reads the next presence frame of a client's socket.
func wsAgentsOnline(t *testing.T, s *sock, wait time.Duration) int {
	t.Helper()
	p := wsNextPresence(t, s, wait)
	if p.AgentsOnline == nil || p.Online != nil {
		t.Fatalf("client presence: got online=%v agentsOnline=%v, want only agentsOnline", p.Online, p.AgentsOnline)
	}
	return *p.AgentsOnline
}

// wsOnlineList reads the next presence frame of an agent's socket.
func wsOnlineList(t *testing.T, s *sock, wait time.Duration) []store.Person {
	t.Helper()
	p := wsNextPresence(t, s, wait)
	if p.Online == nil || p.AgentsOnline != nil {
		t.Fatalf("agent presence: got online=%v agentsOnline=%v, want only online", p.Online, p.AgentsOnline)
	}
	s.online = map[store.ID]store.Person{}
	for _, x := range *p.Online {
		s.online[x.ID] = x
	}
	return *p.Online
}

// wsMetricValue reads one unlabelled sample of /metrics (0 when absent).
func wsMetricValue(t *testing.T, base, name string) float64 {
	t.Helper()
	code, body := do(t, "GET", base+"/metrics", "", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %q", name, v)
			}
			return f
		}
	}
	return 0
}

// wsPersonWithTTL is a caller whose token lives ttl.
func wsPersonWithTTL(t *testing.T, role store.Role, name string, ttl time.Duration) person {
	t.Helper()
	p := newPerson(t, role, name)
	auth, _ := api.NewAuth(secret, nil)
	tok, err := auth.Mint(p.Caller, ttl)
	if err != nil {
		t.Fatal(err)
	}
	p.token = tok
	return p
}

// wsEventually polls cond every 20 ms for at most wait.
func wsEventually(wait time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(wait)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wsLive dials /ws as p and returns once the socket is live: after hello, a pong. The
// server answers a ping only once the socket's start (hello, presence, replay,
// registration) is done, so from then on no live or ephemeral message misses it.
func wsLive(t *testing.T, base string, p person) *sock {
	t.Helper()
	s := mustDial(t, base, p, "")
	s.hello(t)
	wsStillOpen(t, s, "new socket")
	return s
}

// wsTicketSeen creates a ticket as p and reads its three events (ticket.created,
// thread.added, counts) on each socket in scope.
func wsTicketSeen(t *testing.T, base string, p person, title string, inScope ...*sock) store.Ticket {
	t.Helper()
	tk := createTicket(t, base, p, title)
	for _, s := range inScope {
		if got := s.events(t, 3, eventWait); types(got) != "ticket.created,thread.added,counts" || got[0].TicketID != tk.ID {
			t.Fatalf("creating %s: got %s, want ticket.created,thread.added,counts", title, types(got))
		}
	}
	return tk
}

// wsSlowConsumerClosed reads c until it ends, which must be with a close 1008
// "slow consumer", and returns how many messages came before the close.
func wsSlowConsumerClosed(t *testing.T, ctx context.Context, c *websocket.Conn, name string) int {
	t.Helper()
	for frames := 0; ; frames++ {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != "slow consumer" {
			t.Fatalf("%s after %d frames: got %v, want close 1008 \"slow consumer\"", name, frames, err)
		}
		return frames
	}
}
