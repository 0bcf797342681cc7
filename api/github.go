package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v72/github"
)

// GitHub creates issues in one repository through GitHub's REST API.
type GitHub struct {
	client      *github.Client
	owner, repo string
}

// NewGitHub builds a client for repo ("owner/name"); apiURL "" means GitHub's public API.
func NewGitHub(token, repo, apiURL string) (*GitHub, error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("GITHUB_REPO must be owner/name, got %q", repo)
	}
	c := github.NewClient(&http.Client{Timeout: githubTimeout}).WithAuthToken(token)
	if apiURL != "" {
		u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("GITHUB_API_URL %q is not a URL", apiURL)
		}
		// BaseURL is set directly: WithEnterpriseURLs would add /api/v3/.
		c.BaseURL = u
	}
	return &GitHub{client: c, owner: owner, repo: name}, nil
}

// CreateIssue creates the issue.
func (g *GitHub) CreateIssue(ctx context.Context, in NewIssue) (GitHubIssue, error) {
	issue, _, err := g.client.Issues.Create(ctx, g.owner, g.repo, &github.IssueRequest{
		Title:  github.Ptr(in.Title),
		Body:   github.Ptr(in.Body),
		Labels: &in.Labels,
	})
	if err != nil {
		return GitHubIssue{}, err
	}
	out := GitHubIssue{
		ID:        issue.GetID(),
		Number:    issue.GetNumber(),
		Title:     issue.GetTitle(),
		HTMLURL:   issue.GetHTMLURL(),
		Body:      issue.GetBody(),
		Labels:    []string{},
		Assignees: []string{},
	}
	if out.HTMLURL == "" {
		return GitHubIssue{}, fmt.Errorf("github answered an issue without html_url")
	}
	for _, l := range issue.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, a := range issue.Assignees {
		out.Assignees = append(out.Assignees, a.GetLogin())
	}
	return out, nil
}

var _ IssueCreator = (*GitHub)(nil)
