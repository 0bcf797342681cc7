package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/supportd/supportd/store/memory"
)

// TestTicketRoutesAnswer404BeforeRequestErrors: on every /support-tickets/{id} route, a
// request that is bad (400), not the caller's role's (403) or too large (413) answers
// 404 for a ticket the caller may not see, and its own answer for the owner.
func TestTicketRoutesAnswer404BeforeRequestErrors(t *testing.T) {
	e := newEnv(t, memory.New())
	a, b := e.client(t, "A"), e.client(t, "B")
	tk := e.createTicket(t, a, "mine")
	path := "/support-tickets/" + string(tk.ID)
	huge := `{"message":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, c := range []struct {
		method, path string
		body         any
		own          int
	}{
		{"POST", path + "/thread", `{"message":`, http.StatusBadRequest},
		{"POST", path + "/thread", huge, http.StatusRequestEntityTooLarge},
		{"PUT", path, map[string]any{"title": 7}, http.StatusBadRequest},
		{"PUT", path, map[string]any{"assignee": nil}, http.StatusForbidden},
		{"PUT", path, huge, http.StatusRequestEntityTooLarge},
		{"GET", path + "/threads?limit=0", nil, http.StatusBadRequest},
		{"POST", path + "/github-issue", nil, http.StatusForbidden},
	} {
		name := c.method + " " + c.path
		if r := e.req(t, c.method, c.path, a.token, c.body); r.status != c.own {
			t.Errorf("%s by the owner: got %d, want %d (body %.200s)", name, r.status, c.own, r.body)
		}
		r := e.req(t, c.method, c.path, b.token, c.body)
		if r.status != http.StatusNotFound {
			t.Errorf("%s by another client: got %d, want 404 (body %.200s)", name, r.status, r.body)
		}
	}
}
