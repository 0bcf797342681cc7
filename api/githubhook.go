package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/google/go-github/v72/github"

	"github.com/supportd/supportd/store"
)

// githubPerson is the system super admin who writes the loop-back's threads.
func githubPerson() store.Caller {
	return store.Caller{ID: "000000000000000000000001", Name: "GitHub", Role: store.RoleSuperAdmin}
}

// githubAnswer is the loop-back's 200 body: what it did with the delivery.
type githubAnswer struct {
	Status string `json:"status"` // completed, ignored or duplicate
}

// githubWebhook takes GitHub's issues events (POST /github/webhook): a linked issue
// closed resolves its ticket, reopened puts it back in progress, each with a thread
// by GitHub. GitHub signs instead of sending a token, so this route has no bearer
// auth: the signature (X-Hub-Signature-256 with GITHUB_WEBHOOK_SECRET) is the check.
func (s *Server) githubWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.GitHubWebhookSecret == "" {
		return store.Errorf(store.CodeServiceUnavailable, "GitHub webhook is not configured")
	}
	payload, err := s.verifyGitHub(w, r)
	if err != nil {
		return err
	}
	ignored := func() error {
		writeJSON(w, http.StatusOK, githubAnswer{Status: "ignored"})
		return nil
	}
	if github.WebHookType(r) != "issues" {
		return ignored()
	}
	parsed, err := github.ParseWebHook("issues", payload)
	if err != nil {
		return badRequest("Malformed issues event")
	}
	ev, ok := parsed.(*github.IssuesEvent)
	if !ok || ev.Issue == nil {
		return badRequest("Malformed issues event")
	}
	status, verb := store.StatusResolved, "closed"
	switch ev.GetAction() {
	case "closed":
	case "reopened":
		status, verb = store.StatusProgress, "reopened"
	default:
		return ignored()
	}
	wh, err := s.webhooks()
	if err != nil {
		return err
	}
	id, err := wh.TicketByIssueURL(r.Context(), ev.Issue.GetHTMLURL())
	if errors.Is(err, store.ErrNotFound) {
		return ignored()
	} else if err != nil {
		return err
	}
	if delivery := github.DeliveryID(r); delivery != "" {
		first, err := wh.ClaimGitHubDelivery(r.Context(), delivery)
		if err != nil {
			return err
		}
		if !first {
			writeJSON(w, http.StatusOK, githubAnswer{Status: "duplicate"})
			return nil
		}
		if err := s.svc.issueChanged(r.Context(), id, ev.Issue.GetNumber(), verb, status, delivery); err != nil {
			// Forget the delivery, so that GitHub's redelivery is acted on (its
			// thread, if that part was done, is replayed, not added again).
			_ = wh.ReleaseGitHubDelivery(context.WithoutCancel(r.Context()), delivery)
			return err
		}
	} else if err := s.svc.issueChanged(r.Context(), id, ev.Issue.GetNumber(), verb, status, ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, githubAnswer{Status: "completed"})
	return nil
}

// verifyGitHub reads the body (within MaxBodyBytes) and checks its SHA-256
// signature with go-github; the older SHA-1 header is not accepted.
func (s *Server) verifyGitHub(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	sig := r.Header.Get(github.SHA256SignatureHeader)
	if sig == "" {
		return nil, store.Errorf(store.CodeUnauthorized, "%s is required", github.SHA256SignatureHeader)
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		ct = "application/json"
	}
	payload, err := github.ValidatePayloadFromBody(ct, bytes.NewReader(body), sig, []byte(s.cfg.GitHubWebhookSecret))
	if err != nil {
		return nil, store.Errorf(store.CodeUnauthorized, "Invalid %s", github.SHA256SignatureHeader)
	}
	return payload, nil
}

// issueChanged applies a GitHub issue's close or reopen to its ticket as GitHub, a
// super admin: the thread (thread.added), then the status (ticket.updated, and
// ticket.status with counts when it changed). The two are separate writes; the
// thread is keyed by the delivery, so a redelivery after a failure in between
// replays it instead of adding it twice, and setting the status again is harmless.
func (s *Service) issueChanged(ctx context.Context, id store.ID, number int, verb string, status store.Status, delivery string) error {
	if err := s.store.RememberPerson(ctx, githubPerson()); err != nil {
		return err
	}
	msg := fmt.Sprintf("GitHub issue #%d was %s", number, verb)
	in := store.NewThread{Caller: githubPerson(), TicketID: id, NewThreadBody: store.NewThreadBody{Message: msg}}
	if delivery != "" {
		sum := sha256.Sum256([]byte(msg))
		in.Idem = &store.Idempotency{Key: "github-delivery:" + delivery, Hash: hex.EncodeToString(sum[:])}
	}
	if _, _, err := s.Reply(ctx, in); err != nil {
		return err
	}
	if _, err := s.store.UpdateTicket(ctx, githubPerson(), id, store.TicketUpdate{Status: &status}); err != nil {
		return mapStoreErr(err)
	}
	s.notify(ctx)
	return nil
}
