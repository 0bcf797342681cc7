package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
)

// fakeGitHub serves POST /repos/{owner}/{repo}/issues as GitHub does.
type fakeGitHub struct {
	calls atomic.Int64
	fail  atomic.Bool
	delay time.Duration
	mu    sync.Mutex
	last  map[string]any
	auth  string
	path  string
}

func (f *fakeGitHub) start(t *testing.T) *api.GitHub {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.calls.Add(1)
		time.Sleep(f.delay)
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.last, f.auth, f.path = body, r.Header.Get("Authorization"), r.Method+" "+r.URL.Path
		f.mu.Unlock()
		if f.fail.Load() {
			http.Error(w, `{"message":"boom"}`, http.StatusInternalServerError)
			return
		}
		labels := []map[string]any{}
		for _, l := range body["labels"].([]any) {
			labels = append(labels, map[string]any{"name": l})
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": 900 + n, "number": n, "title": body["title"], "body": body["body"],
			"html_url": fmt.Sprintf("https://github.com/acme/help/issues/%d", n),
			"labels":   labels, "assignees": []map[string]any{{"login": "octocat"}},
		})
	}))
	t.Cleanup(ts.Close)
	gh, err := api.NewGitHub("gh-token", "acme/help", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return gh
}

type issueResult struct {
	Data struct {
		GitHubIssue api.GitHubIssue `json:"githubIssue"`
		IssueURL    string          `json:"issueUrl"`
	}
}

func TestGitHubIssue(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			fake := &fakeGitHub{}
			e := newEnv(t, open(t), withGitHub(fake.start(t)))
			a, b, agent := e.client(t, "Acme"), e.client(t, "B"), e.agent(t, "Ann")
			body := ticketBody("Scanner broken")
			body["subject"] = "Model X"
			r := e.req(t, "POST", "/support-tickets/insert", a.token, body)
			var created struct{ Data store.Ticket }
			r.decode(t, &created)
			tk := created.Data
			path := "/support-tickets/" + string(tk.ID) + "/github-issue"
			e.reply(t, agent, tk.ID, "Looking into it")
			e.events(t)

			wantStatus(t, e.req(t, "POST", path, b.token, nil), http.StatusNotFound, "Support ticket not found")
			wantStatus(t, e.req(t, "POST", path, a.token, nil), http.StatusForbidden, "You are not authorized to create a GitHub issue")
			wantStatus(t, e.req(t, "POST", "/support-tickets/ffffffffffffffffffffffff/github-issue", agent.token, nil), http.StatusNotFound, "")

			r = e.req(t, "POST", path, agent.token, nil)
			wantStatus(t, r, http.StatusOK, "")
			var res issueResult
			r.decode(t, &res)
			gi := res.Data.GitHubIssue
			if gi.Title != "Scanner broken - Ticket #1001" || res.Data.IssueURL != gi.HTMLURL || gi.HTMLURL == "" ||
				fmt.Sprint(gi.Labels) != "[support billing]" || fmt.Sprint(gi.Assignees) != "[octocat]" {
				t.Fatalf("issue: %+v", res.Data)
			}
			for _, want := range []string{"Model X", "Acme", "first message of Scanner broken", "Looking into it", "#1001"} {
				if !strings.Contains(gi.Body, want) {
					t.Errorf("issue body lacks %q:\n%s", want, gi.Body)
				}
			}
			if fake.auth != "Bearer gh-token" || fake.path != "POST /repos/acme/help/issues" {
				t.Fatalf("github call: %q %q", fake.auth, fake.path)
			}
			if got := e.get(t, a, tk.ID).IssueURL; got == nil || *got != gi.HTMLURL {
				t.Fatalf("issueUrl: got %v", got)
			}
			if types := eventTypes(e.events(t)); len(types) != 1 || types[0] != store.EventTicketUpdated {
				t.Fatalf("events: %v", types)
			}
			wantStatus(t, e.req(t, "POST", path, agent.token, nil), http.StatusBadRequest, "Issue already created")
			// The client still gets 403 before the 400.
			wantStatus(t, e.req(t, "POST", path, a.token, nil), http.StatusForbidden, "")
		})
	}
}

func TestGitHubIssueConcurrentCallsMakeOne(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			fake := &fakeGitHub{delay: 50 * time.Millisecond}
			e := newEnv(t, open(t), withGitHub(fake.start(t)))
			a, agent := e.client(t, "Acme"), e.agent(t, "Ann")
			tk := e.createTicket(t, a, "race")
			var ok, dup atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					r := e.req(t, "POST", "/support-tickets/"+string(tk.ID)+"/github-issue", agent.token, nil)
					switch {
					case r.status == http.StatusOK:
						ok.Add(1)
					case r.status == http.StatusBadRequest && strings.Contains(string(r.body), "Issue already created"):
						dup.Add(1)
					default:
						t.Errorf("got %d %s", r.status, r.body)
					}
				})
			}
			wg.Wait()
			if ok.Load() != 1 || dup.Load() != 7 || fake.calls.Load() != 1 {
				t.Fatalf("got %d ok, %d already created, %d GitHub calls; want 1, 7, 1", ok.Load(), dup.Load(), fake.calls.Load())
			}
		})
	}
}

func TestGitHubIssueFailures(t *testing.T) {
	t.Run("not configured", func(t *testing.T) {
		eachStore(t, func(t *testing.T, e *env) {
			a, agent := e.client(t, "Acme"), e.agent(t, "Ann")
			tk := e.createTicket(t, a, "x")
			path := "/support-tickets/" + string(tk.ID) + "/github-issue"
			wantStatus(t, e.req(t, "POST", path, agent.token, nil), http.StatusServiceUnavailable, "")
			// 400 (already created) comes before 503.
			wantStatus(t, e.req(t, "PUT", "/support-tickets/"+string(tk.ID), agent.token, map[string]any{"issueUrl": "https://x.test/1"}), http.StatusOK, "")
			wantStatus(t, e.req(t, "POST", path, agent.token, nil), http.StatusBadRequest, "Issue already created")
		})
	})
	t.Run("github fails", func(t *testing.T) {
		for name, open := range openers() {
			t.Run(name, func(t *testing.T) {
				fake := &fakeGitHub{}
				fake.fail.Store(true)
				e := newEnv(t, open(t), withGitHub(fake.start(t)))
				a, agent := e.client(t, "Acme"), e.agent(t, "Ann")
				tk := e.createTicket(t, a, "x")
				e.events(t)
				path := "/support-tickets/" + string(tk.ID) + "/github-issue"
				wantStatus(t, e.req(t, "POST", path, agent.token, nil), http.StatusBadGateway, "")
				if got := e.get(t, a, tk.ID).IssueURL; got != nil {
					t.Fatalf("issueUrl set after a failure: %v", *got)
				}
				if evs := e.events(t); len(evs) != 0 {
					t.Fatalf("failure recorded %v", eventTypes(evs))
				}
				// It can be retried once GitHub is back.
				fake.fail.Store(false)
				wantStatus(t, e.req(t, "POST", path, agent.token, nil), http.StatusOK, "")
			})
		}
	})
}
