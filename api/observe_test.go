package api_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
)

// logBuffer is a buffer the server's logger and the test share.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newLoggedEnv is newEnv's server on st, but logging into the returned buffer.
func newLoggedEnv(t *testing.T, st store.Store) (*env, *logBuffer) {
	t.Helper()
	auth, err := api.NewAuth(testSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	srv := api.New(api.Config{}, api.Deps{
		Store: st, Auth: auth, Log: slog.New(slog.NewTextHandler(logs, nil)),
		Registry: prometheus.NewRegistry(),
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{url: ts.URL, st: st, auth: auth, ids: store.NewIDGen()}, logs
}

// seriesOf is the supportd_ sample lines of a /metrics answer.
func seriesOf(t *testing.T, e *env) map[string]bool {
	t.Helper()
	r := e.req(t, "GET", "/metrics", "", nil)
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "supportd_") {
			name, _, _ := strings.Cut(line, " ")
			out[name] = true
		}
	}
	return out
}

func TestMetricsLabelsStayBoundedWhateverTheMethodAndPath(t *testing.T) {
	e := newEnv(t, memory.New())
	// Warm-up: one request of each kind the flood sends, and a scrape (counted after it
	// answers), so that the closed-set series exist before the count.
	e.req(t, "X0", "/nope/0", "", nil)
	e.req(t, "X0", "/metrics", "", nil)
	e.req(t, "X0", "/support-tickets/aaaaaaaaaaaaaaaaaaaaaaaa", "", nil)
	seriesOf(t, e)
	before := seriesOf(t, e)
	for i := 1; i <= 300; i++ {
		method := fmt.Sprintf("X%d", i)
		e.req(t, method, fmt.Sprintf("/nope/%d", i), "", nil)
		e.req(t, method, "/metrics", "", nil)
		e.req(t, method, fmt.Sprintf("/support-tickets/%024x", i), "", nil)
	}
	after := seriesOf(t, e)
	if len(after) != len(before) {
		for s := range after {
			if !before[s] {
				t.Errorf("new series %s", s)
			}
		}
		t.Fatalf("series: got %d after 900 made-up requests, want %d", len(after), len(before))
	}
	if !after[`supportd_http_requests_total{method="other",route="unmatched",status="405"}`] {
		t.Errorf("no series counts made-up methods as other: %v", after)
	}
}

// stallingStore holds ListTickets until the request is canceled, as a slow query would.
type stallingStore struct {
	store.Store
	started chan struct{}
}

func (s stallingStore) ListTickets(ctx context.Context, c store.Caller, f store.ListFilter) (store.TicketPage, error) {
	s.started <- struct{}{}
	<-ctx.Done()
	return store.TicketPage{}, ctx.Err()
}

func TestClientHangUpIsLoggedAtInfoAndCountedAs499(t *testing.T) {
	st := stallingStore{Store: memory.New(), started: make(chan struct{}, 1)}
	e, logs := newLoggedEnv(t, st)
	a := e.client(t, "A")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.url+"/support-tickets", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	select {
	case <-st.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the list never started")
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the canceled request got an answer")
	}
	want := `supportd_http_requests_total{method="GET",route="/support-tickets",status="499"} 1`
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(e.req(t, "GET", "/metrics", "", nil).body), want) {
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %s", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := logs.String()
	if !strings.Contains(got, "level=INFO msg=request method=GET route=/support-tickets status=499") {
		t.Errorf("no INFO line with status 499 in:\n%s", got)
	}
	if strings.Contains(got, "level=ERROR") || strings.Contains(got, "status=500") {
		t.Errorf("the hang-up was logged as an error:\n%s", got)
	}
}
