package main

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// tokenIssuedAt is a token for c (named name) issued at iat, valid for an hour from
// now; a zero iat makes a token without one.
func tokenIssuedAt(t *testing.T, c store.Caller, name string, iat time.Time) string {
	t.Helper()
	c.Name = name
	if !iat.IsZero() {
		auth, _ := api.NewAuth(secret, func() time.Time { return iat })
		tok, err := auth.Mint(c, time.Since(iat)+time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": string(c.ID), "name": name, "role": string(c.Role),
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTheNewestTokensNameWinsOnEveryInstance(t *testing.T) {
	env := sharedEnv(t, pgtest.NewDatabase(t), testRedisURL(t))
	baseA, _ := startServe(t, env)
	baseB, _ := startServe(t, env)
	c := newPerson(t, store.RoleClient, "").Caller
	now := time.Now()
	newer := person{Caller: c, token: tokenIssuedAt(t, c, "New Name", now.Add(-time.Minute))}
	older := person{Caller: c, token: tokenIssuedAt(t, c, "Old Name", now.Add(-time.Hour))}
	noIat := person{Caller: c, token: tokenIssuedAt(t, c, "Name Without iat", time.Time{})}

	// B sees the new name first; A, which never saw this caller, then gets older
	// tokens: neither may bring back an older name.
	tk := createTicket(t, baseB, newer, "renamed")
	for _, step := range []struct {
		base, what string
		as         person
	}{
		{baseA, "A, older token", older},
		{baseA, "A, token without iat", noIat},
		{baseB, "B, newer token", newer},
		{baseA, "A, newer token", newer},
	} {
		var out struct{ Data store.Ticket }
		if code := call(t, step.base, step.as, "GET", "/support-tickets/"+string(tk.ID), nil, &out); code != 200 {
			t.Fatalf("%s: GET got %d, want 200", step.what, code)
		}
		if got := out.Data.Client.Name; got != "New Name" {
			t.Errorf("%s: client name got %q, want %q", step.what, got, "New Name")
		}
		if got := out.Data.Threads[0].Client.Name; got != "New Name" {
			t.Errorf("%s: thread's client name got %q, want %q", step.what, got, "New Name")
		}
	}
}
