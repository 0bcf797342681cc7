package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// backends are the engine sets realtime tests run on: the embedded dev mode, and
// PostgreSQL with Redis (a fresh database and a channel prefix of the test's own).
func backends(t *testing.T) map[string]func(t *testing.T) map[string]string {
	return map[string]func(t *testing.T) map[string]string{
		"dev": func(t *testing.T) map[string]string {
			return map[string]string{"JWT_SECRET": secret, "RATE_LIMIT": "0"}
		},
		"postgres+redis": func(t *testing.T) map[string]string {
			return sharedEnv(t, pgtest.NewDatabase(t), testRedisURL(t))
		},
	}
}

var prefixes atomic.Int64

// sharedEnv is the environment of instances sharing a database and a Redis.
func sharedEnv(t *testing.T, dbURL, redisURL string) map[string]string {
	return map[string]string{
		"JWT_SECRET": secret, "RATE_LIMIT": "0", "DATABASE_URL": dbURL, "REDIS_URL": redisURL,
		"REDIS_PREFIX": fmt.Sprintf("test-%d-%d-%d:", os.Getpid(), time.Now().UnixNano(), prefixes.Add(1)),
	}
}

// testRedisURL is the shared Redis; under CI=true its absence fails the test.
func testRedisURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379/0"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := pubsub.OpenRedis(ctx, url)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis at %s: %v", url, err)
		}
		t.Skipf("redis at %s not reachable: %v", url, err)
	}
	_ = c.Close()
	return url
}

// person is a caller with a token for the instances of a test.
type person struct {
	store.Caller
	token string
}

var ids = store.NewIDGen()

func newPerson(t *testing.T, role store.Role, name string) person {
	t.Helper()
	c := store.Caller{ID: ids.New(time.Now()), Name: name, Role: role}
	auth, _ := api.NewAuth(secret, nil)
	tok, err := auth.Mint(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return person{Caller: c, token: tok}
}

// call sends a REST request and decodes a JSON answer into out (when not nil).
func call(t *testing.T, base string, p person, method, path string, body any, out any) int {
	t.Helper()
	var b string
	if body != nil {
		j, _ := json.Marshal(body)
		b = string(j)
	}
	code, res := do(t, method, base+path, p.token, b)
	if out != nil {
		if err := json.Unmarshal([]byte(res), out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, code, res)
		}
	}
	return code
}

func createTicket(t *testing.T, base string, p person, title string) store.Ticket {
	t.Helper()
	var out struct{ Data store.Ticket }
	body := map[string]any{"title": title, "category": "billing", "threads": []any{map[string]any{"message": "help " + title}}}
	if code := call(t, base, p, "POST", "/support-tickets/insert", body, &out); code != 201 {
		t.Fatalf("insert: %d", code)
	}
	return out.Data
}

func reply(t *testing.T, base string, p person, id store.ID, msg string) store.Thread {
	t.Helper()
	var out struct{ Data store.Thread }
	if code := call(t, base, p, "POST", "/support-tickets/"+string(id)+"/thread", map[string]any{"message": msg}, &out); code != 201 {
		t.Fatalf("reply: %d", code)
	}
	return out.Data
}

// frame is one server message.
type frame struct {
	Type     string          `json:"type"`
	ID       string          `json:"id"`
	TicketID store.ID        `json:"ticketId"`
	At       string          `json:"at"`
	Data     json.RawMessage `json:"data"`
	raw      string
}

// sock is a test WebSocket whose frames a reader goroutine collects.
type sock struct {
	conn   *websocket.Conn
	frames chan frame
	closed chan error
	// online is who an agent's socket was told is online: its snapshot with the
	// changes since applied (see wsApplyPresence); nil before the snapshot.
	online map[store.ID]store.Person
}

// dial opens /ws; query is appended as is.
func dial(t *testing.T, base string, p person, query string, header ...string) (*sock, error) {
	t.Helper()
	h := http.Header{}
	if p.token != "" {
		h.Set("Authorization", "Bearer "+p.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.Replace(base, "http", "ws", 1) + "/ws"
	if query != "" {
		url += "?" + query
	}
	c, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("status %d: %w", res.StatusCode, err)
		}
		return nil, err
	}
	c.SetReadLimit(1 << 20)
	s := &sock{conn: c, frames: make(chan frame, 100_000), closed: make(chan error, 1)}
	go func() {
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				s.closed <- err
				close(s.frames)
				return
			}
			var f frame
			if err := json.Unmarshal(b, &f); err != nil {
				s.closed <- fmt.Errorf("bad frame %s: %w", b, err)
				close(s.frames)
				return
			}
			f.raw = string(b)
			s.frames <- f
		}
	}()
	t.Cleanup(func() { c.CloseNow() })
	return s, nil
}

func mustDial(t *testing.T, base string, p person, query string) *sock {
	t.Helper()
	s, err := dial(t, base, p, query)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return s
}

// next returns the next frame, skipping presence (snapshots and changes) unless
// asked for.
func (s *sock) next(t *testing.T, wait time.Duration, withPresence ...bool) frame {
	t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				t.Fatalf("socket closed: %v", <-s.closed)
			}
			if (f.Type == "presence" || f.Type == "presence.changed") && len(withPresence) == 0 {
				continue
			}
			return f
		case <-timer.C:
			t.Fatalf("no frame within %v", wait)
		}
	}
}

// events reads n recorded events (frames with an id), failing on anything else
// but presence and typing.
func (s *sock) events(t *testing.T, n int, wait time.Duration) []frame {
	t.Helper()
	var out []frame
	deadline := time.Now().Add(wait)
	for len(out) < n {
		f := s.next(t, time.Until(deadline)+time.Millisecond)
		if f.Type == "typing" {
			continue
		}
		if f.ID == "" {
			t.Fatalf("unexpected frame %s", f.raw)
		}
		out = append(out, f)
	}
	return out
}

// quiet proves nothing but presence arrives: it pings and wants pong next.
func (s *sock) quiet(t *testing.T) {
	t.Helper()
	s.send(t, `{"type":"ping"}`)
	if f := s.next(t, 5*time.Second); f.Type != "pong" {
		t.Fatalf("got %s, want only pong", f.raw)
	}
}

func (s *sock) send(t *testing.T, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// hello reads the hello frame and returns its lastEventId.
func (s *sock) hello(t *testing.T) string {
	t.Helper()
	f := s.next(t, 5*time.Second)
	if f.Type != "hello" || f.ID != "" {
		t.Fatalf("first frame %s, want hello", f.raw)
	}
	var d struct {
		Role        string       `json:"role"`
		User        store.Person `json:"user"`
		LastEventID string       `json:"lastEventId"`
	}
	_ = json.Unmarshal(f.Data, &d)
	if d.LastEventID == "" || d.User.ID == "" || d.Role == "" {
		t.Fatalf("hello %s", f.raw)
	}
	return d.LastEventID
}

func types(fs []frame) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Type)
	}
	return strings.Join(out, ",")
}

// post is a request that may run outside the test's goroutine: it fails nothing.
func post(base string, p person, path, body string) (int, error) {
	req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}
