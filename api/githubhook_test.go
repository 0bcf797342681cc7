package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
)

const githubSecret = "loop-back-secret"

// github sends a GitHub webhook delivery; sig "" signs with githubSecret.
func (e *env) github(t *testing.T, event, delivery, body, sig string) response {
	t.Helper()
	if sig == "" {
		mac := hmac.New(sha256.New, []byte(githubSecret))
		mac.Write([]byte(body))
		sig = "sha256=" + hex.EncodeToString(mac.Sum(nil))
	}
	return e.req(t, "POST", "/github/webhook", "", body, "Content-Type", "application/json",
		"X-GitHub-Event", event, "X-GitHub-Delivery", delivery, "X-Hub-Signature-256", sig)
}

func issuesEvent(action, url string, number int) string {
	return fmt.Sprintf(`{"action":%q,"issue":{"number":%d,"html_url":%q,"state":"closed"}}`, action, number, url)
}

func wantGitHubStatus(t *testing.T, r response, want string) {
	t.Helper()
	var out struct{ Status string }
	wantStatus(t, r, http.StatusOK, "")
	if r.decode(t, &out); out.Status != want {
		t.Fatalf("loop-back answered %s, want status %q", r.body, want)
	}
}

func TestGitHubLoopBackClosesAndReopens(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ann, acme := e.agent(t, "Ann"), e.client(t, "Acme")
		tk := e.createTicket(t, acme, "linked")
		url := "https://github.com/acme/app/issues/7"
		wantStatus(t, e.req(t, "PUT", "/support-tickets/"+string(tk.ID), ann.token, map[string]any{"issueUrl": url}), http.StatusOK, "")
		e.events(t)

		wantGitHubStatus(t, e.github(t, "issues", "d-1", issuesEvent("closed", url, 7), ""), "completed")
		got := e.get(t, ann, tk.ID)
		th := got.Threads[len(got.Threads)-1]
		if got.Status != store.StatusResolved || th.Message != "GitHub issue #7 was closed" ||
			th.SuperAdmin == nil || th.SuperAdmin.ID != "000000000000000000000001" || th.SuperAdmin.Name != "GitHub" {
			t.Fatalf("after closed: status %s, last thread %+v; want resolved and GitHub's thread", got.Status, th)
		}
		want := []store.EventType{store.EventThreadAdded, store.EventTicketUpdated, store.EventTicketStatus, store.EventCounts}
		if types := eventTypes(e.events(t)); !slices.Equal(types, want) {
			t.Fatalf("events %v, want %v", types, want)
		}

		wantGitHubStatus(t, e.github(t, "issues", "d-1", issuesEvent("closed", url, 7), ""), "duplicate")
		if n := len(e.get(t, ann, tk.ID).Threads); n != len(got.Threads) || len(e.events(t)) != 0 {
			t.Fatalf("a duplicate delivery changed the ticket: %d threads, want %d", n, len(got.Threads))
		}

		wantGitHubStatus(t, e.github(t, "issues", "d-2", issuesEvent("reopened", url, 7), ""), "completed")
		got = e.get(t, ann, tk.ID)
		if got.Status != store.StatusProgress || got.Threads[len(got.Threads)-1].Message != "GitHub issue #7 was reopened" {
			t.Fatalf("after reopened: status %s, threads %d; want progress and GitHub's thread", got.Status, len(got.Threads))
		}
	}, withConfig(api.Config{GitHubWebhookSecret: githubSecret}))
}

func TestGitHubLoopBackIgnoresWhatItDoesNotKnow(t *testing.T) {
	e := newEnv(t, openers()["postgres"](t), withConfig(api.Config{GitHubWebhookSecret: githubSecret}))
	e.agent(t, "Ann")
	wantGitHubStatus(t, e.github(t, "issues", "d-1", issuesEvent("closed", "https://github.com/x/y/issues/1", 1), ""), "ignored")
	wantGitHubStatus(t, e.github(t, "push", "d-2", `{"ref":"main"}`, ""), "ignored")
	wantGitHubStatus(t, e.github(t, "issues", "d-3", issuesEvent("labeled", "https://github.com/x/y/issues/1", 1), ""), "ignored")
	if evs := e.events(t); len(evs) != 0 {
		t.Fatalf("ignored deliveries recorded %d events", len(evs))
	}
}

func TestGitHubLoopBackSignature(t *testing.T) {
	e := newEnv(t, openers()["memory"](t), withConfig(api.Config{GitHubWebhookSecret: githubSecret}))
	body := issuesEvent("closed", "https://github.com/x/y/issues/1", 1)
	wantStatus(t, e.github(t, "issues", "d", body, "sha256=00"), http.StatusUnauthorized, "Invalid X-Hub-Signature-256")
	r := e.req(t, "POST", "/github/webhook", "", body, "Content-Type", "application/json", "X-GitHub-Event", "issues")
	wantStatus(t, r, http.StatusUnauthorized, "X-Hub-Signature-256 is required")
	wantGitHubStatus(t, e.github(t, "issues", "d", body, ""), "ignored")

	unset := newEnv(t, openers()["memory"](t))
	wantStatus(t, unset.github(t, "issues", "d", body, ""), http.StatusServiceUnavailable, "GitHub webhook is not configured")
}

// failGitHubStatusOnce fails the loop-back's status change once, after its thread
// was added: the state a crash between the two writes leaves.
type failGitHubStatusOnce struct {
	*memory.Store
	failed atomic.Bool
}

func (s *failGitHubStatusOnce) UpdateTicket(ctx context.Context, c store.Caller, id store.ID, u store.TicketUpdate) (store.Ticket, error) {
	if c.ID == "000000000000000000000001" && s.failed.CompareAndSwap(false, true) {
		return store.Ticket{}, errors.New("the database went away")
	}
	return s.Store.UpdateTicket(ctx, c, id, u)
}

// TestGitHubRedeliveryAfterAFailureAddsNoSecondThread: the thread went in, the status
// change failed (500), so the delivery is forgotten and GitHub redelivers it; the
// redelivery resolves the ticket and replays the thread instead of adding it again.
func TestGitHubRedeliveryAfterAFailureAddsNoSecondThread(t *testing.T) {
	st := &failGitHubStatusOnce{Store: memory.New()}
	e := newEnv(t, st, withConfig(api.Config{GitHubWebhookSecret: githubSecret}))
	ann, acme := e.agent(t, "Ann"), e.client(t, "Acme")
	tk := e.createTicket(t, acme, "linked")
	url := "https://github.com/acme/app/issues/9"
	wantStatus(t, e.req(t, "PUT", "/support-tickets/"+string(tk.ID), ann.token, map[string]any{"issueUrl": url}), http.StatusOK, "")

	if r := e.github(t, "issues", "d-9", issuesEvent("closed", url, 9), ""); r.status != http.StatusInternalServerError {
		t.Fatalf("first delivery with the status change failing: got %d %s, want 500", r.status, r.body)
	}
	wantGitHubStatus(t, e.github(t, "issues", "d-9", issuesEvent("closed", url, 9), ""), "completed")
	got := e.get(t, ann, tk.ID)
	n := 0
	for _, th := range got.Threads {
		if th.Message == "GitHub issue #9 was closed" {
			n++
		}
	}
	if got.Status != store.StatusResolved || n != 1 {
		t.Fatalf("after the redelivery: status %s, %d GitHub threads; want resolved and one", got.Status, n)
	}
}
