package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/supportd/supportd/api"
)

func TestTokenHelpNeverPrintsTheSecret(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"JWT_SECRET": secret}[k] }
	for _, args := range [][]string{{"token", "-h"}, {"token", "--help"}, {"token", "-sceret", "x"}, {"token", "-ttl", "soon"}} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), args, getenv, &stdout, &stderr)
		asksHelp := args[1] == "-h" || args[1] == "--help"
		if (err == nil) != asksHelp {
			t.Fatalf("%v: got error %v; want one only for a bad flag (help is a success)", args, err)
		}
		out := stdout.String() + stderr.String()
		if err != nil {
			out += err.Error()
		}
		if strings.Contains(out, secret) {
			t.Errorf("%v: output holds the secret:\n%s", args, out)
		}
		if args[1] == "-h" && !strings.Contains(out, "$JWT_SECRET") {
			t.Errorf("%v: help does not name $JWT_SECRET:\n%s", args, out)
		}
	}
}

func TestTokenSignsWithJWTSecretUnlessSecretFlagIsGiven(t *testing.T) {
	other := strings.Repeat("s", api.MinSecretLen)
	getenv := func(k string) string { return map[string]string{"JWT_SECRET": secret}[k] }
	for _, c := range []struct {
		args []string
		key  string
	}{
		{[]string{"token", "-name", "A"}, secret},
		{[]string{"token", "-name", "A", "-secret", other}, other},
	} {
		var stdout bytes.Buffer
		if err := run(context.Background(), c.args, getenv, &stdout, &bytes.Buffer{}); err != nil {
			t.Fatalf("%v: %v", c.args, err)
		}
		auth, _ := api.NewAuth(c.key, nil)
		if _, _, err := auth.Verify(strings.TrimSpace(stdout.String())); err != nil {
			t.Errorf("%v: the token does not verify with the expected secret: %v", c.args, err)
		}
	}
}
