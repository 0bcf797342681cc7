package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
)

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthRefusesBadTokens(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	sub := "aaaaaaaaaaaaaaaaaaaaaaaa"
	exp := time.Now().Add(time.Hour).Unix()
	good := jwt.MapClaims{"sub": sub, "name": "A", "role": "client", "exp": exp}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	key := []byte(testSecret)
	noneToken := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good)
	hs512 := sign(t, jwt.SigningMethodHS512, key, good)
	cases := map[string]string{
		"missing header":       "",
		"not a jwt":            "Bearer abc.def",
		"wrong scheme":         "Basic " + sign(t, jwt.SigningMethodHS256, key, good),
		"bad signature":        "Bearer " + sign(t, jwt.SigningMethodHS256, []byte("another-secret-that-is-32-bytes-long"), good),
		"alg none":             "Bearer " + noneToken,
		"alg HS512":            "Bearer " + hs512,
		"expired":              "Bearer " + sign(t, jwt.SigningMethodHS256, key, with("exp", time.Now().Add(-time.Minute).Unix())),
		"no exp":               "Bearer " + sign(t, jwt.SigningMethodHS256, key, with("exp", nil)),
		"malformed sub":        "Bearer " + sign(t, jwt.SigningMethodHS256, key, with("sub", "ABC")),
		"unknown role":         "Bearer " + sign(t, jwt.SigningMethodHS256, key, with("role", "admin")),
		"no role":              "Bearer " + sign(t, jwt.SigningMethodHS256, key, with("role", nil)),
		"bearer without token": "Bearer ",
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.req(t, "GET", "/support-tickets", "", nil, "Authorization", header)
			wantStatus(t, r, http.StatusUnauthorized, "")
		})
	}
}

func TestAuthAcceptsGoodTokens(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	key := []byte(testSecret)
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"sub": "aaaaaaaaaaaaaaaaaaaaaaaa", "name": "A", "role": "client", "exp": exp.Unix()}
	}
	cases := map[string]string{
		"lower-case bearer":     "bearer " + sign(t, jwt.SigningMethodHS256, key, claims(time.Now().Add(time.Hour))),
		"upper-case bearer":     "BEARER " + sign(t, jwt.SigningMethodHS256, key, claims(time.Now().Add(time.Hour))),
		"expired within leeway": "Bearer " + sign(t, jwt.SigningMethodHS256, key, claims(time.Now().Add(-10*time.Second))),
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.req(t, "GET", "/support-tickets", "", nil, "Authorization", header)
			// An empty list is 404, which proves the token was taken.
			wantStatus(t, r, http.StatusNotFound, "No support tickets found")
		})
	}
}

func TestAuthRemembersCallerAndCutsLongNames(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		long := strings.Repeat("é", 250)
		c := store.Caller{ID: "cccccccccccccccccccccccc", Name: long, Role: store.RoleClient}
		tok, err := e.auth.Mint(c, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		u := user{Caller: c, token: tok}
		tk := e.createTicket(t, u, "hello")
		if got := []rune(tk.Client.Name); len(got) != 200 {
			t.Fatalf("client name: got %d characters, want 200", len(got))
		}
		p, role, err := e.st.Person(t.Context(), c.ID)
		if err != nil || role != store.RoleClient || len([]rune(p.Name)) != 200 {
			t.Fatalf("remembered: got %v %v %v", p, role, err)
		}
		// The latest name wins.
		c.Name = "Acme Renamed"
		tok, _ = e.auth.Mint(c, time.Hour)
		u = user{Caller: c, token: tok}
		if got := e.get(t, u, tk.ID).Client.Name; got != "Acme Renamed" {
			t.Fatalf("client name after rename: got %q", got)
		}
	})
}

func TestNewAuthRefusesShortSecret(t *testing.T) {
	if _, err := api.NewAuth(strings.Repeat("x", 31), nil); err == nil {
		t.Fatal("31-byte secret accepted")
	}
	if _, err := api.NewAuth(strings.Repeat("x", 32), nil); err != nil {
		t.Fatalf("32-byte secret refused: %v", err)
	}
}

func TestUnauthenticatedEndpoints(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/openapi.json"} {
		r := e.req(t, "GET", path, "", nil)
		if r.status != http.StatusOK {
			t.Errorf("%s: got %d, want 200", path, r.status)
		}
	}
}

func TestAuthRefusesControlCharactersInName(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		key := []byte(testSecret)
		exp := time.Now().Add(time.Hour).Unix()
		for _, name := range []string{"A\x00B", "A\nB", "\x1b[31mred", "A\u0085B", "A\x7fB"} {
			tok := sign(t, jwt.SigningMethodHS256, key, jwt.MapClaims{
				"sub": "dddddddddddddddddddddddd", "name": name, "role": "client", "exp": exp,
			})
			r := e.req(t, "GET", "/support-tickets", tok, nil)
			wantStatus(t, r, http.StatusUnauthorized, "Unauthorized: invalid token name")
		}
		if _, _, err := e.st.Person(t.Context(), "dddddddddddddddddddddddd"); err == nil {
			t.Fatal("a refused caller was remembered")
		}
	})
}
