package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeTimeout bounds the run of the README's first session (four curls).
const readmeTimeout = 30 * time.Second

// TestReadmeFirstSessionRuns runs the README's first-session block with bash, as
// written, against a dev server (only its address differs), with the tokens the
// server printed exported; every step must answer the status the README promises.
func TestReadmeFirstSessionRuns(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing, and CI=true requires it", tool)
			}
			t.Skipf("%s is missing", tool)
		}
	}
	block := firstSessionBlock(t)
	base, stdout := startServe(t, map[string]string{})
	env := os.Environ()
	for _, line := range strings.Split(stdout.String(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
			env = append(env, v)
		}
	}
	// Each curl reports its status on stderr, without touching what it prints.
	script := `curl() { command curl -w '%{stderr}STATUS %{http_code}\n' "$@"; }` + "\n" +
		strings.ReplaceAll(block, "localhost:8080", strings.TrimPrefix(base, "http://")) +
		"\necho \"ID=$ID TH=$TH\" >&2\n"
	ctx, cancel := context.WithTimeout(context.Background(), readmeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Env = env
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("bash: %v\n%s\n%s", err, out.String(), errs.String())
	}
	got := regexp.MustCompile(`STATUS (\d+)`).FindAllStringSubmatch(errs.String(), -1)
	want := []string{"201", "200", "201", "200"} // insert, list, reply, seen
	if len(got) != len(want) {
		t.Fatalf("%d steps answered, want %d:\n%s\n%s", len(got), len(want), errs.String(), out.String())
	}
	for i, w := range want {
		if got[i][1] != w {
			t.Errorf("step %d answered %s, want %s:\n%s", i+1, got[i][1], w, out.String())
		}
	}
	if !regexp.MustCompile(`ID=[0-9a-f]{24} TH=[0-9a-f]{24}`).MatchString(errs.String()) {
		t.Errorf("$ID and $TH not captured: %s", errs.String())
	}
}

// firstSessionBlock is the first ```sh block after "## A first session" in README.md.
func firstSessionBlock(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "## A first session")
	if !ok {
		t.Fatal(`README.md has no "## A first session"`)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("no ```sh block in the README's first session")
	}
	return block
}
