package api_test

import (
	"bufio"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/store/memory"
)

func TestOperationalEndpointsAnswerGetAndHeadOnly(t *testing.T) {
	e := newEnv(t, memory.New())
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		if r := e.req(t, "GET", path, "", nil); r.status != http.StatusOK || len(r.body) == 0 {
			t.Errorf("GET %s: got %d with %d bytes, want 200 with a body", path, r.status, len(r.body))
		}
		if r := e.req(t, "HEAD", path, "", nil); r.status != http.StatusOK || len(r.body) != 0 {
			t.Errorf("HEAD %s: got %d with %d bytes, want 200 without a body", path, r.status, len(r.body))
		}
		for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "X1"} {
			r := e.req(t, m, path, "", nil)
			wantStatus(t, r, http.StatusMethodNotAllowed, "")
			if got := r.header.Get("Allow"); got != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q, want %q", m, path, got, "GET, HEAD")
			}
		}
	}
}

func TestHeadAnswersLikeGetOnRESTRoutes(t *testing.T) {
	e := newEnv(t, memory.New())
	a := e.client(t, "A")
	tk := e.createTicket(t, a, "x")
	for _, path := range []string{"/support-tickets", "/support-tickets/" + string(tk.ID)} {
		get := e.req(t, "GET", path, a.token, nil)
		head := e.req(t, "HEAD", path, a.token, nil)
		if head.status != get.status || len(head.body) != 0 {
			t.Errorf("HEAD %s: got %d with %d bytes, want %d without a body", path, head.status, len(head.body), get.status)
		}
		if got, want := head.header.Get("Content-Type"), get.header.Get("Content-Type"); got != want {
			t.Errorf("HEAD %s: Content-Type %q, want GET's %q", path, got, want)
		}
		if r := e.req(t, "HEAD", path, "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("HEAD %s without a token: got %d, want 401", path, r.status)
		}
	}
}

func TestEveryAnswerIsNoSniff(t *testing.T) {
	e := newEnv(t, memory.New())
	a := e.client(t, "A")
	cases := []struct{ method, path, token string }{
		{"GET", "/support-tickets", a.token},
		{"GET", "/support-tickets", ""},
		{"POST", "/support-tickets", a.token},
		{"GET", "/nowhere", ""},
		{"X1", "/nowhere", ""},
		{"GET", "/metrics", ""},
		{"GET", "/healthz", ""},
		{"DELETE", "/readyz", ""},
		{"GET", "/openapi.json", ""},
	}
	for _, c := range cases {
		r := e.req(t, c.method, c.path, c.token, nil)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q, want nosniff", c.method, c.path, r.status, got)
		}
	}
}

func TestRESTAnswersAreNoStore(t *testing.T) {
	e := newEnv(t, memory.New())
	a := e.client(t, "A")
	tk := e.createTicket(t, a, "x")
	cases := []struct{ method, path, token string }{
		{"GET", "/support-tickets", a.token},                          // 200
		{"GET", "/support-tickets/" + string(tk.ID), a.token},         // 200
		{"GET", "/support-tickets?page=0", a.token},                   // 400
		{"GET", "/support-tickets", ""},                               // 401
		{"GET", "/support-tickets/aaaaaaaaaaaaaaaaaaaaaaaa", a.token}, // 404
		{"POST", "/support-tickets", a.token},                         // 405
	}
	for _, c := range cases {
		r := e.req(t, c.method, c.path, c.token, nil)
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s (%d): Cache-Control %q, want no-store", c.method, c.path, r.status, got)
		}
	}
}

// generatedID is the shape of an X-Request-Id the server makes.
var generatedID = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestRequestIDTakenOnlyWhenShortAndPlain(t *testing.T) {
	e := newEnv(t, memory.New())
	valid := "Abc-123_x.y"
	if got := e.req(t, "GET", "/healthz", "", nil, "X-Request-Id", valid).header.Get("X-Request-Id"); got != valid {
		t.Errorf("valid id: echoed %q, want %q", got, valid)
	}
	if got := e.req(t, "GET", "/healthz", "", nil, "X-Request-Id", strings.Repeat("a", 64)).header.Get("X-Request-Id"); len(got) != 64 {
		t.Errorf("64-character id: echoed %q, want it kept", got)
	}
	for name, id := range map[string]string{
		"60 KB":         strings.Repeat("a", 60<<10),
		"65 characters": strings.Repeat("a", 65),
		"space":         "abc def",
		"tab":           "abc\tdef",
		"non-ASCII":     "abcé",
		"slash":         "abc/def",
	} {
		got := e.req(t, "GET", "/healthz", "", nil, "X-Request-Id", id).header.Get("X-Request-Id")
		if !generatedID.MatchString(got) {
			t.Errorf("%s: echoed %.80q, want a fresh id", name, got)
		}
	}
	if got := e.req(t, "GET", "/healthz", "", nil).header.Get("X-Request-Id"); !generatedID.MatchString(got) {
		t.Errorf("no id: echoed %q, want a fresh id", got)
	}
	if got := rawRequestID(t, e.url, "abc\r\n def"); got != "" && !generatedID.MatchString(got) {
		t.Errorf("folded id with a newline: echoed %q, want a fresh id or a refusal", got)
	}
}

// rawRequestID sends a GET /healthz whose X-Request-Id header is written as is (Go's
// client refuses control characters) and returns the X-Request-Id of the answer.
func rawRequestID(t *testing.T, base, id string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: " + id + "\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 500 {
		t.Fatalf("folded header: got %d", res.StatusCode)
	}
	return res.Header.Get("X-Request-Id")
}
