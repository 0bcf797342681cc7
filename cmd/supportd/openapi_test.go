package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/supportd/supportd/store"
)

// apiCase is one request of TestOpenAPIDescribesEveryAnswer. valid says the request
// itself must satisfy the document (bad-input cases do not).
type apiCase struct {
	name, method, path, body string
	who                      *person
	header                   []string
	want                     int
	valid                    bool
}

// TestOpenAPIDescribesEveryAnswer sends requests to every operation of a real dev
// server and validates each answer (status, headers, body) against the document the
// server serves, with kin-openapi's openapi3filter.
func TestOpenAPIDescribesEveryAnswer(t *testing.T) {
	base, _ := startServe(t, map[string]string{"JWT_SECRET": secret, "RATE_LIMIT": "0", "GITHUB_WEBHOOK_SECRET": gitHubSecret})
	router := openAPIRouter(t, base)
	client, agent, stranger := newPerson(t, store.RoleClient, "Acme"), newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleClient, "Nobody")
	hook := failingWebhook(t, base, agent)
	// Remember the agent (an assignee must be known).
	call(t, base, agent, "GET", "/support-tickets", nil, nil)
	tk := createTicket(t, base, client, "Printer on fire")
	th := reply(t, base, agent, tk.ID, "On it")
	other := createTicket(t, base, client, "To delete")
	id, none := string(tk.ID), "aaaaaaaaaaaaaaaaaaaaaaaa"
	newTicket := `{"title":"Hello","category":"billing","threads":[{"message":"hi","attachments":[]}]}`

	cases := []apiCase{
		{"list", "GET", "/support-tickets?countByStatus=true&sort=%2Bnumber&status=&q=printer", "", &agent, nil, 200, true},
		{"list empty", "GET", "/support-tickets?countByStatus=1", "", &stranger, nil, 404, true},
		{"list bad limit", "GET", "/support-tickets?limit=0", "", &agent, nil, 400, false},
		{"list no token", "GET", "/support-tickets", "", nil, nil, 401, false},
		{"list wrong method", "PATCH", "/support-tickets", "", &agent, nil, 405, false},
		{"get", "GET", "/support-tickets/" + id, "", &client, nil, 200, true},
		{"get another's", "GET", "/support-tickets/" + id, "", &stranger, nil, 404, true},
		{"insert", "POST", "/support-tickets/insert", newTicket, &client, []string{"Idempotency-Key", "k1"}, 201, true},
		{"insert replayed", "POST", "/support-tickets/insert", newTicket, &client, []string{"Idempotency-Key", "k1"}, 201, true},
		{"insert key reused", "POST", "/support-tickets/insert", `{"title":"Other","category":"billing","threads":[{"message":"x"}]}`, &client, []string{"Idempotency-Key", "k1"}, 409, true},
		{"insert no title", "POST", "/support-tickets/insert", `{"category":"billing","threads":[{"message":"x"}]}`, &client, nil, 400, false},
		{"insert too large", "POST", "/support-tickets/insert", `{"title":"` + strings.Repeat("x", 1<<20) + `"}`, &client, nil, 413, false},
		{"thread", "POST", "/support-tickets/" + id + "/thread", `{"message":"thanks"}`, &client, nil, 201, true},
		{"thread missing ticket", "POST", "/support-tickets/" + none + "/thread", `{"message":"x"}`, &client, nil, 404, true},
		// THREADS ENDPOINT (bounded answers): built on another branch; these two
		// cases fail with 404/405 until it is merged.
		{"threads page", "GET", "/support-tickets/" + id + "/threads?limit=1", "", &client, nil, 200, true},
		{"threads bad before", "GET", "/support-tickets/" + id + "/threads?before=" + none, "", &client, nil, 400, true},
		{"update", "PUT", "/support-tickets/" + id, `{"status":"progress","assignee":"` + string(agent.ID) + `","subject":null}`, &agent, nil, 200, true},
		{"update nothing", "PUT", "/support-tickets/" + id, `{}`, &agent, nil, 400, false},
		{"update assignee as client", "PUT", "/support-tickets/" + id, `{"assignee":null}`, &client, nil, 403, true},
		{"seen", "PUT", "/support-tickets/threads/seen", `{"threadIds":["` + string(th.ID) + `"]}`, &client, nil, 200, true},
		{"github not configured", "POST", "/support-tickets/" + id + "/github-issue", "", &agent, nil, 503, true},
		{"github as client", "POST", "/support-tickets/" + id + "/github-issue", "", &client, nil, 403, true},
		{"delete", "DELETE", "/support-tickets/" + string(other.ID), "", &client, nil, 200, true},
		{"bulk", "POST", "/support-tickets/bulk", `{"ids":["` + none + `"]}`, &agent, nil, 200, true},
		{"healthz", "GET", "/healthz", "", nil, nil, 200, true},
		{"readyz", "GET", "/readyz", "", nil, nil, 200, true},
		{"metrics", "GET", "/metrics", "", nil, nil, 200, true},
		{"openapi", "GET", "/openapi.json", "", nil, nil, 200, true},
		{"ws without token", "GET", "/ws", "", nil, nil, 401, false},
	}
	cases = append(cases, webhookCases(t, base, agent, client, hook)...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkOpenAPI(t, router, base, c) })
	}
	t.Run("github webhook not configured", func(t *testing.T) {
		bare, _ := startServe(t, map[string]string{"JWT_SECRET": secret, "RATE_LIMIT": "0"})
		checkOpenAPI(t, router, bare, apiCase{"", "POST", "/github/webhook", `{}`, nil, gitHubHeaders(`{}`, "ping"), 503, true})
	})
}

// openAPIRouter loads the document the server serves and checks it is valid.
func openAPIRouter(t *testing.T, base string) routers.Router {
	t.Helper()
	code, body := do(t, "GET", base+"/openapi.json", "", "")
	if code != 200 {
		t.Fatalf("GET /openapi.json: %d", code)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return router
}

func checkOpenAPI(t *testing.T, router routers.Router, base string, c apiCase) {
	t.Helper()
	newReq := func() *http.Request {
		req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.who != nil {
			req.Header.Set("Authorization", "Bearer "+c.who.token)
		}
		for i := 0; i+1 < len(c.header); i += 2 {
			req.Header.Set(c.header[i], c.header[i+1])
		}
		return req
	}
	// The request is validated first and then sent as the validator left it: a
	// validating proxy applies the document's defaults, which must not change meaning.
	req := newReq()
	route, params, err := router.FindRoute(req)
	if err != nil && c.want != http.StatusMethodNotAllowed {
		t.Fatalf("the document has no %s %s: %v", c.method, req.URL.Path, err)
	}
	if route == nil { // a method the document does not name: check the path's GET's 405.
		get := newReq()
		get.Method = "GET"
		if route, params, err = router.FindRoute(get); err != nil {
			t.Fatal(err)
		}
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if c.valid {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("request does not match the document: %v", err)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != c.want {
		t.Fatalf("status %d, want %d: %.300s", res.StatusCode, c.want, body)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%d answer does not match the document: %v\n%.300s", res.StatusCode, err, body)
	}
}
