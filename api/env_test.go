package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

const testSecret = "test-secret-that-is-long-enough-32b"

// openers are the stores every api test runs on: the in-memory one and a fresh
// PostgreSQL database.
func openers() map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store { return memory.New() },
		"postgres": func(t *testing.T) store.Store {
			url := pgtest.NewDatabase(t)
			db, err := postgres.Open(t.Context(), url)
			if err != nil {
				t.Fatalf("open postgres: %v", err)
			}
			if err := db.Migrate(t.Context()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			t.Cleanup(db.Close)
			return db
		},
	}
}

// eachStore runs fn on a fresh server for each store.
func eachStore(t *testing.T, fn func(t *testing.T, e *env), opts ...func(*envOptions)) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			fn(t, newEnv(t, open(t), opts...))
		})
	}
}

type envOptions struct {
	cfg     api.Config
	github  api.IssueCreator
	sync    func(context.Context) (int64, error)
	private func(netip.Addr) bool
}

func withConfig(cfg api.Config) func(*envOptions) {
	return func(o *envOptions) { o.cfg = cfg }
}

func withSync(f func(context.Context) (int64, error)) func(*envOptions) {
	return func(o *envOptions) { o.sync = f }
}

func withPrivateAddr(f func(netip.Addr) bool) func(*envOptions) {
	return func(o *envOptions) { o.private = f }
}

func withGitHub(g api.IssueCreator) func(*envOptions) {
	return func(o *envOptions) { o.github = g }
}

// env is one supportd API served over real HTTP.
type env struct {
	url   string
	st    store.Store
	auth  *api.Auth
	kicks atomic.Int64
	ids   *store.IDGen
}

func newEnv(t testing.TB, st store.Store, opts ...func(*envOptions)) *env {
	t.Helper()
	o := envOptions{}
	for _, f := range opts {
		f(&o)
	}
	auth, err := api.NewAuth(testSecret, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, auth: auth, ids: store.NewIDGen()}
	srv := api.New(o.cfg, api.Deps{
		Store:    st,
		Auth:     auth,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry: prometheus.NewRegistry(),
		GitHub:   o.github,
		Notify:   func() { e.kicks.Add(1) },
		Sync:     o.sync,

		PrivateAddr: o.private,
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

// user is a caller with a token.
type user struct {
	store.Caller
	token string
}

// newUser makes a caller of role and remembers it, as its first request would.
func (e *env) newUser(t testing.TB, role store.Role, name string) user {
	t.Helper()
	c := store.Caller{ID: e.ids.New(time.Now()), Name: name, Role: role}
	if err := e.st.RememberPerson(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	tok, err := e.auth.Mint(c, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return user{Caller: c, token: tok}
}

func (e *env) client(t testing.TB, name string) user { return e.newUser(t, store.RoleClient, name) }
func (e *env) agent(t testing.TB, name string) user  { return e.newUser(t, store.RoleSuperAdmin, name) }

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// apiError decodes the contract's error shape.
func (r response) apiError(t testing.TB) store.Error {
	t.Helper()
	var e store.Error
	r.decode(t, &e)
	return e
}

// req sends method path with body (a string is sent as is, anything else as JSON)
// and the token; extra headers come in pairs.
func (e *env) req(t testing.TB, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	r, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// wantStatus fails unless r has the status; on an error status it also checks the
// contract's {code, message} and, when message is not "", the message.
func wantStatus(t testing.TB, r response, status int, message string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status: got %d, want %d (body %s)", r.status, status, r.body)
	}
	if status < 400 {
		return
	}
	e := r.apiError(t)
	if e.Code == "" || api.HTTPStatus(e.Code) != status {
		t.Fatalf("code: got %q for status %d (body %s)", e.Code, status, r.body)
	}
	if message != "" && e.Message != message {
		t.Fatalf("message: got %q, want %q", e.Message, message)
	}
}

// ticketBody is a valid insert.
func ticketBody(title string) map[string]any {
	return map[string]any{
		"title":    title,
		"category": "billing",
		"threads":  []map[string]any{{"message": "first message of " + title}},
	}
}

// createTicket inserts a ticket as u (for a super admin, on behalf of client).
func (e *env) createTicket(t testing.TB, u user, title string, client ...user) store.Ticket {
	t.Helper()
	body := ticketBody(title)
	if len(client) > 0 {
		body["client"] = client[0].ID
	}
	r := e.req(t, "POST", "/support-tickets/insert", u.token, body)
	wantStatus(t, r, http.StatusCreated, "")
	var out struct{ Data store.Ticket }
	r.decode(t, &out)
	return out.Data
}

func (e *env) reply(t testing.TB, u user, id store.ID, msg string) store.Thread {
	t.Helper()
	r := e.req(t, "POST", "/support-tickets/"+string(id)+"/thread", u.token, map[string]any{"message": msg})
	wantStatus(t, r, http.StatusCreated, "")
	var out struct{ Data store.Thread }
	r.decode(t, &out)
	return out.Data
}

func (e *env) get(t testing.TB, u user, id store.ID) store.Ticket {
	t.Helper()
	r := e.req(t, "GET", "/support-tickets/"+string(id), u.token, nil)
	wantStatus(t, r, http.StatusOK, "")
	var out struct{ Data store.Ticket }
	r.decode(t, &out)
	return out.Data
}

// listResult is the list answer.
type listResult struct {
	Data   []store.Ticket `json:"data"`
	Limit  int            `json:"limit"`
	Page   int            `json:"page"`
	Pages  int            `json:"pages"`
	Total  int            `json:"total"`
	Counts *store.Counts  `json:"counts"`
}

func (e *env) list(t testing.TB, u user, query string) listResult {
	t.Helper()
	r := e.req(t, "GET", "/support-tickets?"+query, u.token, nil)
	wantStatus(t, r, http.StatusOK, "")
	var out listResult
	r.decode(t, &out)
	return out
}

// events sequences and returns what the store recorded since the last call.
func (e *env) events(t testing.TB) []store.Event {
	t.Helper()
	evs, err := e.st.SequenceEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func eventTypes(evs []store.Event) []store.EventType {
	out := make([]store.EventType, len(evs))
	for i, ev := range evs {
		out[i] = ev.Type
	}
	return out
}
