package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/supportd/supportd/store"
)

// githubTimeout bounds the GitHub call, which runs while the ticket is held so that
// concurrent calls make one issue: a hung GitHub must not hold it for long.
const githubTimeout = 15 * time.Second

// GitHubIssue is the issue as the contract returns it: labels and assignees as names.
type GitHubIssue struct {
	ID        int64    `json:"id"`
	Number    int      `json:"number"`
	Title     string   `json:"title"`
	HTMLURL   string   `json:"html_url"`
	Body      string   `json:"body"`
	Labels    []string `json:"labels"`
	Assignees []string `json:"assignees"`
}

// NewIssue is what to create on GitHub for a ticket.
type NewIssue struct {
	Title  string
	Body   string
	Labels []string
}

// IssueCreator creates GitHub issues.
type IssueCreator interface {
	CreateIssue(ctx context.Context, in NewIssue) (GitHubIssue, error)
}

func notConfigured() *Error {
	return Errorf(CodeServiceUnavailable, "GitHub issue creation is not configured")
}

// issueFor renders the contract's issue for a ticket.
func issueFor(t store.Ticket) NewIssue {
	var b strings.Builder
	fmt.Fprintf(&b, "**Support ticket #%d**\n\n", t.Number)
	fmt.Fprintf(&b, "- Title: %s\n- Category: %s\n- Status: %s\n", t.Title, t.Category, t.Status)
	fmt.Fprintf(&b, "- Client: %s (%s)\n", t.Client.Name, t.Client.ID)
	if t.Subject != nil {
		fmt.Fprintf(&b, "- Subject: %s\n", *t.Subject)
	}
	if t.API != nil {
		fmt.Fprintf(&b, "- API: %s\n", *t.API)
	}
	fmt.Fprintf(&b, "- Ticket id: %s\n- Created: %s\n\n## Conversation\n", t.ID, t.CreatedAt.Format(store.TimeLayout))
	for _, th := range t.Threads {
		who := th.Client.Name + " (client)"
		if th.SuperAdmin != nil {
			who = th.SuperAdmin.Name + " (support)"
		}
		fmt.Fprintf(&b, "\n**%s**, %s:\n\n%s\n", who, th.CreatedAt.Format(store.TimeLayout), quote(th.Message))
	}
	return NewIssue{
		Title:  fmt.Sprintf("%s - Ticket #%d", t.Title, t.Number),
		Body:   b.String(),
		Labels: []string{"support", string(t.Category)},
	}
}

func quote(s string) string {
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

// CreateGitHubIssue makes the ticket's one GitHub issue and links it. The order of
// checks is the contract's: 404, then 403 for clients, then 400 when an issue exists,
// then 503 when GitHub is not configured.
func (s *Service) CreateGitHubIssue(ctx context.Context, c store.Caller, id store.ID) (GitHubIssue, store.Ticket, error) {
	if !c.IsSuperAdmin() {
		return GitHubIssue{}, store.Ticket{}, s.firstVisible(ctx, c, id,
			Errorf(CodeForbidden, "You are not authorized to create a GitHub issue"))
	}
	var issue GitHubIssue
	t, err := s.store.LinkIssue(ctx, c, id, func(ctx context.Context, t store.Ticket) (string, error) {
		if s.github == nil {
			return "", notConfigured()
		}
		ctx, cancel := context.WithTimeout(ctx, githubTimeout)
		defer cancel()
		var err error
		if issue, err = s.github.CreateIssue(ctx, issueFor(t)); err != nil {
			return "", err
		}
		return issue.HTMLURL, nil
	})
	if err != nil {
		var apiErr *Error
		if !errors.As(err, &apiErr) && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrIssueExists) &&
			!errors.Is(err, store.ErrUnavailable) {
			return GitHubIssue{}, store.Ticket{}, &githubError{err: err}
		}
		return GitHubIssue{}, store.Ticket{}, mapStoreErr(err)
	}
	s.notify(ctx)
	return issue, t, nil
}

// githubError is a failed GitHub call: 502 on the wire, the cause in the log.
type githubError struct{ err error }

func (e *githubError) Error() string { return "github: " + e.err.Error() }
func (e *githubError) Unwrap() error { return e.err }

type issueResponse struct {
	GitHubIssue GitHubIssue `json:"githubIssue"`
	IssueURL    string      `json:"issueUrl"`
}

func (s *Server) createGitHubIssue(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	issue, t, err := s.svc.CreateGitHubIssue(r.Context(), caller(r), id)
	var ghErr *githubError
	if errors.As(err, &ghErr) {
		s.log.WarnContext(r.Context(), "github issue creation failed", "ticket", id, "err", ghErr.err)
		return Errorf(CodeBadGateway, "GitHub failed to create the issue")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Data: issueResponse{GitHubIssue: issue, IssueURL: *t.IssueURL}})
	return nil
}
