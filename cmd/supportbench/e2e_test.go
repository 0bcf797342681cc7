package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

const e2eSecret = "supportbench-e2e-secret-0123456789abcdef"

// startSupportd builds this tree's supportd and runs it in memory mode on a free
// port until the test ends; it returns the base URL.
func startSupportd(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and starts supportd; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "supportd")
	build := exec.Command(goTool, "build", "-o", bin, "./cmd/supportd")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/supportd: %v\n%s", err, out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve")
	cmd.Env = append(os.Environ(), "ADDR=127.0.0.1:0", "JWT_SECRET="+e2eSecret, "RATE_LIMIT=0",
		"DATABASE_URL=", "REDIS_URL=", "LOG_LEVEL=info", "DEMO=off")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		pw.Close()
	})
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`supportd listening.*?addr[=":]+([0-9.]+:[0-9]+)`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("supportd did not say where it listens within 30 s")
		return ""
	}
}

// runTool runs one scenario like the command line does and returns its exit code
// and JSON report.
func runTool(ctx context.Context, args ...string) (int, report.Report, string) {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "JWT_SECRET" {
			return e2eSecret
		}
		return ""
	}
	code := run(ctx, append(args, "-json"), getenv, &out, &errb)
	var r report.Report
	_ = json.Unmarshal(out.Bytes(), &r)
	return code, r, errb.String() + out.String()
}

// TestListenNextToAWriter runs the tool as two processes do for a deployment one
// process cannot hold: fanout writes and holds sockets, listen holds more sockets
// of the same clients (same -run, read through the epoll reader) and checks them
// against the server's log.
func TestListenNextToAWriter(t *testing.T) {
	base := startSupportd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var wg sync.WaitGroup
	var lCode int
	var lRep report.Report
	var lOut string
	wg.Go(func() {
		lCode, lRep, lOut = runTool(ctx, "listen", "-url", base, "-run", "e2e1", "-clients", "30", "-admins", "4",
			"-per-admin", "2", "-duration", "60s", "-idle", "5s", "-sources", "0", "-reader", "epoll")
	})
	time.Sleep(time.Second) // the listener's sockets first, so that it sees every write
	fCode, fRep, fOut := runTool(ctx, "fanout", "-url", base, "-run", "e2e1", "-clients", "30", "-admins", "2",
		"-rate", "40", "-duration", "2s", "-sources", "0", "-settle", "5s")
	wg.Wait()

	if fCode != 0 || !fRep.Pass || fRep.Ledger.Expected == 0 {
		t.Fatalf("fanout: exit %d, ledger %+v\n%s", fCode, fRep.Ledger, fOut)
	}
	if lCode != 0 || !lRep.Pass {
		t.Fatalf("listen: exit %d, ledger %+v\n%s", lCode, lRep.Ledger, lOut)
	}
	// Every listening socket owes the events of its scope: fanout's 30 tickets
	// (created, first thread, counts) and its 80 replies to each agent socket; to
	// each client socket its own ticket's. Clients only get them when listen minted
	// the very clients fanout wrote for.
	const perScope = 30*3 + 80
	rows := map[string]int{}
	for _, l := range lRep.Latency {
		rows[l.Name] = l.N
	}
	if lRep.Ledger.Sockets != 34 || rows["agent sockets"] < 4*perScope || rows["client sockets"] < perScope {
		t.Errorf("listen checked %d sockets, %d deliveries to agents and %d to clients; want 34 sockets, at least %d and %d",
			lRep.Ledger.Sockets, rows["agent sockets"], rows["client sockets"], 4*perScope, perScope)
	}
}

// TestWebhooksEveryEventInOrder runs the webhooks scenario briefly, its first
// endpoint down for a second, and checks that every webhook got every event in
// order and that the tool deleted its webhooks afterwards.
func TestWebhooksEveryEventInOrder(t *testing.T) {
	base := startSupportd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code, rep, out := runTool(ctx, "webhooks", "-url", base, "-hooks", "2", "-rate", "20", "-duration", "2s",
		"-down-at", "500ms", "-down-for", "1s", "-catch-up", "30s", "-sources", "0")
	if code != 0 || !rep.Pass || rep.Ledger.Sockets != 2 || rep.Ledger.Expected < 2*40 {
		t.Fatalf("webhooks: exit %d, ledger %+v\n%s", code, rep.Ledger, out)
	}

	m, err := identity.NewMinter(e2eSecret, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := m.User(identity.RoleAdmin, "e2e webhooks check")
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/webhooks", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", agent.Bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /webhooks: %d %v", resp.StatusCode, err)
	}
	if len(list.Data) != 0 {
		t.Errorf("%d webhooks left on the server after the run; want the tool to delete its own", len(list.Data))
	}
}
