package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/cmd/internal/faultproxy"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// faultDBTimeout is DB_TIMEOUT in the fault tests: short, so that they stay fast.
const faultDBTimeout = time.Second

// dbFault is an instance whose PostgreSQL link goes through a fault proxy, on a
// database of the test's own (the machine's server is never touched).
type dbFault struct {
	base  string
	proxy *faultproxy.Proxy
	dbURL string // the database itself, not through the proxy
	agent person
}

func startDBFault(t *testing.T) *dbFault {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := faultproxy.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = proxy.Close() })
	u.Host = proxy.Addr()
	env := sharedEnv(t, u.String(), testRedisURL(t))
	env["DB_TIMEOUT"] = faultDBTimeout.String()
	s := wsLaunch(t, env, io.Discard)
	// The server stops (at cleanup) before the proxy closes: let it reach its
	// database to stop cleanly whatever the test left the link in.
	t.Cleanup(func() { proxy.Set(faultproxy.Pass); proxy.SetDelay(0) })
	return &dbFault{base: s.base, proxy: proxy, dbURL: dbURL, agent: newPerson(t, "superAdmin", "Agent")}
}

// answer is what a timed request got.
type answer struct {
	what       string
	status     int
	code       string
	retryAfter string
	took       time.Duration
	err        error
}

// timed sends a request as p and measures how long the answer took; it fails
// nothing, so that it may run outside the test's goroutine.
func timed(base string, p person, method, path, body string) answer {
	a := answer{what: method + " " + path}
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		a.err = err
		return a
	}
	req.Header.Set("Authorization", "Bearer "+p.token)
	client := &http.Client{Timeout: 15 * time.Second}
	start := time.Now()
	res, err := client.Do(req)
	a.took = time.Since(start)
	if err != nil {
		a.err = err
		return a
	}
	defer res.Body.Close()
	var e struct{ Code string }
	b, _ := io.ReadAll(res.Body)
	_ = json.Unmarshal(b, &e)
	a.status, a.code, a.retryAfter = res.StatusCode, e.Code, res.Header.Get("Retry-After")
	return a
}

// all sends the requests at once and returns their answers.
func all(base string, p person, reqs [][3]string) []answer {
	out := make([]answer, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() { out[i] = timed(base, p, r[0], r[1], r[2]) })
	}
	wg.Wait()
	return out
}

// want503Fast fails unless every answer is 503 ServiceUnavailable with
// Retry-After, within DB_TIMEOUT + 1 s.
func want503Fast(t *testing.T, fault string, answers []answer) {
	t.Helper()
	for _, a := range answers {
		t.Logf("%s, %s: %d %s Retry-After=%q after %v", fault, a.what, a.status, a.code, a.retryAfter, a.took.Round(time.Millisecond))
		if a.err != nil || a.status != http.StatusServiceUnavailable || a.code != "ServiceUnavailable" || a.retryAfter == "" {
			t.Errorf("%s, %s: got %d %q Retry-After=%q (%v), want 503 ServiceUnavailable with Retry-After",
				fault, a.what, a.status, a.code, a.retryAfter, a.err)
		}
		if a.took > faultDBTimeout+time.Second {
			t.Errorf("%s, %s: answered after %v, want within %v", fault, a.what, a.took, faultDBTimeout+time.Second)
		}
	}
}

// eventually retries a GET until it answers 200 (the link is back), for at most 10 s.
func eventually200(t *testing.T, f *dbFault, path string) {
	t.Helper()
	start := time.Now()
	for {
		a := timed(f.base, f.agent, "GET", path, "")
		if a.status == http.StatusOK {
			t.Logf("link back: GET %s 200 after %v", path, time.Since(start).Round(time.Millisecond))
			return
		}
		if a.status == http.StatusInternalServerError || time.Since(start) > 10*time.Second {
			t.Fatalf("link back: GET %s answers %d %s (%v)", path, a.status, a.code, a.err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// faultRequests are one read list, one read, one create and one update.
func faultRequests(id string) [][3]string {
	insert := `{"title":"during the fault","category":"billing","client":"` + strings.Repeat("0", 24) + `","threads":[{"message":"m"}]}`
	return [][3]string{
		{"GET", "/support-tickets", ""},
		{"GET", "/support-tickets/" + id, ""},
		{"POST", "/support-tickets/insert", insert},
		{"PUT", "/support-tickets/" + id, `{"title":"renamed during the fault"}`},
	}
}

func TestDBBlackholeAnswers503WithinTimeout(t *testing.T) {
	f := startDBFault(t)
	client := newPerson(t, "client", "Client")
	tk := createTicket(t, f.base, client, "before the fault")

	f.proxy.Set(faultproxy.Blackhole)
	want503Fast(t, "black-holed", all(f.base, f.agent, faultRequests(string(tk.ID))))
	ready := timed(f.base, f.agent, "GET", "/readyz", "")
	t.Logf("black-holed, /readyz: %d after %v", ready.status, ready.took.Round(time.Millisecond))
	if ready.status != http.StatusServiceUnavailable || ready.took > 3*time.Second {
		t.Errorf("black-holed /readyz: %d after %v, want 503 within its 2 s cap", ready.status, ready.took)
	}

	f.proxy.Set(faultproxy.Pass)
	eventually200(t, f, "/support-tickets/"+string(tk.ID))
	if a := timed(f.base, f.agent, "GET", "/readyz", ""); a.status != http.StatusOK {
		t.Fatalf("link back, /readyz: %d", a.status)
	}
}

func TestDBResetAnswers503NotInternalError(t *testing.T) {
	f := startDBFault(t)
	client := newPerson(t, "client", "Client")
	tk := createTicket(t, f.base, client, "before the fault")

	f.proxy.Set(faultproxy.Reset)
	for range 3 {
		want503Fast(t, "reset", all(f.base, f.agent, faultRequests(string(tk.ID))))
	}
	f.proxy.Set(faultproxy.Pass)
	eventually200(t, f, "/support-tickets")
}

func TestDBTerminatedBackendsNeverAnswer500(t *testing.T) {
	f := startDBFault(t)
	client := newPerson(t, "client", "Client")
	tk := createTicket(t, f.base, client, "before the fault")
	counts := map[int]int{}
	for round := range 5 {
		terminateSupportd(t, f.dbURL)
		reqs := [][3]string{
			{"GET", "/support-tickets", ""},
			{"GET", "/support-tickets/" + string(tk.ID), ""},
			{"POST", "/support-tickets/" + string(tk.ID) + "/thread", `{"message":"round"}`},
		}
		for _, a := range all(f.base, client, reqs) {
			counts[a.status]++
			ok := a.status == http.StatusOK || a.status == http.StatusCreated ||
				a.status == http.StatusServiceUnavailable && a.retryAfter != ""
			if !ok || a.err != nil {
				t.Errorf("round %d, %s after pg_terminate_backend: %d %s (%v), want success or 503", round, a.what, a.status, a.code, a.err)
			}
		}
	}
	t.Logf("answers after terminated backends, by status: %v", counts)
	eventually200(t, f, "/support-tickets")
}

// terminateSupportd ends every supportd connection to dbURL's database from a
// separate connection to the maintenance database.
func terminateSupportd(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	_, err = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'supportd'`, strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		t.Fatal(err)
	}
}
