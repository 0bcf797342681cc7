package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// buildSupportd builds this package's binary into the test's temporary directory:
// tests that must kill a real process (not cancel serve's context) run it.
func buildSupportd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "supportd")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a supportd started by startProcess.
type process struct {
	name   string
	base   string
	cmd    *exec.Cmd
	logs   *wsLogBuffer
	exited chan struct{} // closed once the process is reaped
}

// startProcess runs bin serve with env (and nothing of the test's own environment
// but PATH), on a free loopback port, and waits for /healthz. At cleanup a process
// still running gets SIGTERM (SIGKILL after 10 s); its log is printed when the test
// failed.
func startProcess(t *testing.T, bin string, env map[string]string, name string) *process {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ADDR=" + addr, "LOG_LEVEL=warn"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{name: name, base: "http://" + addr, cmd: cmd, logs: &wsLogBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, p.logs.String())
		}
	})
	ready := wsEventually(30*time.Second, func() bool {
		select {
		case <-p.exited:
			return true
		default:
		}
		res, err := httpGet(p.base + "/healthz")
		return err == nil && res == 200
	})
	select {
	case <-p.exited:
		t.Fatalf("%s exited at start:\n%s", name, p.logs.String())
	default:
	}
	if !ready {
		t.Fatalf("%s did not answer /healthz within 30 s", name)
	}
	return p
}

// stop ends a running process with SIGTERM, or SIGKILL if it lingers.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func httpGet(url string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	res.Body.Close()
	return res.StatusCode, nil
}
