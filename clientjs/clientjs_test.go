//go:build unix

package clientjs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// npmTimeout bounds `npm ci` (two dev dependencies; the first run downloads them).
	npmTimeout = 5 * time.Minute
	// nodeTimeout bounds one `node --test` run; the suites take about 20 s here.
	nodeTimeout = 5 * time.Minute
	// chromiumPath is Debian's Chromium, which the browser test drives.
	chromiumPath = "/usr/bin/chromium"
)

// TestJS runs the JavaScript side: npm ci when node_modules is missing or stale, the
// declarations' type check, the node tests against a real supportd, and the browser
// test. A missing node, npm or Chromium fails under CI=true and skips elsewhere.
func TestJS(t *testing.T) {
	if testing.Short() {
		t.Skip("the JS suites start supportd and a browser; skipped with -short")
	}
	node := need(t, "node")
	npm := need(t, "npm")
	npmCI(t, npm)
	bin := buildSupportd(t)
	wsFlags := webSocketFlags(t, node)

	t.Run("tsc", func(t *testing.T) {
		run(t, npmTimeout, nil, filepath.Join("node_modules", ".bin", "tsc"), "--noEmit", "-p", ".")
	})
	t.Run("node", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join("test", "*.test.js"))
		if err != nil {
			t.Fatal(err)
		}
		var unit []string
		for _, f := range files {
			if !strings.HasPrefix(filepath.Base(f), "browser") {
				unit = append(unit, f)
			}
		}
		nodeTest(t, node, bin, wsFlags, unit)
	})
	t.Run("browser", func(t *testing.T) {
		if _, err := os.Stat(chromiumPath); err != nil {
			missing(t, chromiumPath+" (apt-get install chromium)")
		}
		files, err := filepath.Glob(filepath.Join("test", "browser*.test.js"))
		if err != nil {
			t.Fatal(err)
		}
		nodeTest(t, node, bin, wsFlags, files)
	})
}

// need finds a program or fails (CI) / skips (elsewhere).
func need(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name)
	}
	return p
}

func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing, and CI=true requires it", what)
	}
	t.Skipf("%s is missing; skipping (CI=true would fail)", what)
}

// npmCI installs the dev dependencies from package-lock.json unless node_modules
// already holds exactly that lock (a stamp records the lock's hash).
func npmCI(t *testing.T, npm string) {
	t.Helper()
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join("node_modules", ".supportd-lock-sha256")
	if got, err := os.ReadFile(stamp); err == nil && string(got) == want {
		return
	}
	run(t, npmTimeout, nil, npm, "ci", "--no-audit", "--no-fund")
	if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
}

func buildSupportd(t *testing.T) string {
	t.Helper()
	goTool := need(t, "go")
	bin := filepath.Join(t.TempDir(), "supportd")
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/supportd")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/supportd: %v\n%s", err, out)
	}
	return bin
}

// webSocketFlags returns the flag Node 20 needs for its built-in WebSocket.
func webSocketFlags(t *testing.T, node string) []string {
	t.Helper()
	out, err := exec.Command(node, "-p", "typeof WebSocket").Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	if strings.TrimSpace(string(out)) == "function" {
		return nil
	}
	return []string{"--experimental-websocket"}
}

var summaryLine = regexp.MustCompile(`^\S+ (tests|pass|fail|skipped|duration_ms) [\d.]+$`)

// nodeTest runs node's test runner on files with the supportd binary to start.
func nodeTest(t *testing.T, node, bin string, flags, files []string) {
	t.Helper()
	args := append(append([]string{}, flags...), "--test", "--test-reporter=spec")
	args = append(args, files...)
	start := time.Now()
	out := run(t, nodeTimeout, []string{"SUPPORTD_BIN=" + bin}, node, args...)
	var summary []string
	for _, l := range strings.Split(out, "\n") {
		if summaryLine.MatchString(strings.TrimSpace(l)) {
			summary = append(summary, strings.TrimSpace(l))
		}
	}
	t.Logf("node --test %s: %s in %s", strings.Join(files, " "), strings.Join(summary, ", "), time.Since(start).Round(time.Millisecond))
}

// run runs a command in this directory with env added to the environment, streaming
// its output to the test log, and fails the test when it fails or outlives timeout.
// Its whole process group is killed at the end: the node tests start supportd and
// Chromium as children, and a crashed test file must not leave them running.
func run(t *testing.T, timeout time.Duration, env []string, name string, argv ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var all strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			t.Log(sc.Text())
			all.WriteString(sc.Text() + "\n")
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Run()
	pw.Close()
	wg.Wait()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s %s: no end within %s", filepath.Base(name), strings.Join(argv, " "), timeout)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", filepath.Base(name), strings.Join(argv, " "), err)
	}
	return all.String()
}
