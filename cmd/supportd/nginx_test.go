package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// TestNginxConfigPassesWebSocketsAndREST runs Debian's nginx with the shipped
// deploy/nginx.conf (only its upstreams, listen port and file paths rewritten) in
// front of two instances sharing PostgreSQL and Redis: a browser-Origin socket and
// REST calls go through it, and a write through nginx reaches every socket.
func TestNginxConfigPassesWebSocketsAndREST(t *testing.T) {
	bin := nginxBinary(t)
	env := sharedEnv(t, pgtest.NewDatabase(t), testRedisURL(t))
	a, b := wsLaunch(t, env, os.Stderr), wsLaunch(t, env, os.Stderr)
	front := startNginx(t, bin, a.base, b.base)

	agent, client := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleClient, "Acme")
	// Round robin puts the two sockets on different instances.
	var socks []*sock
	for range 2 {
		s, err := dial(t, front, agent, "", "Origin", front)
		if err != nil {
			t.Fatalf("socket through nginx with Origin %s: %v", front, err)
		}
		s.hello(t)
		socks = append(socks, s)
	}
	for i := range 2 {
		tk := createTicket(t, front, client, fmt.Sprintf("through nginx %d", i))
		for j, s := range socks {
			if !awaitEvent(t, s, "ticket.created", tk.ID) {
				t.Fatalf("socket %d: no ticket.created of %s", j, tk.ID)
			}
		}
	}
	if code, body := do(t, "GET", front+"/support-tickets", agent.token, ""); code != 200 || !strings.Contains(body, "through nginx 1") {
		t.Fatalf("list through nginx: %d %s", code, body)
	}
}

// awaitEvent reads s's events until one of that type for that ticket arrives.
func awaitEvent(t *testing.T, s *sock, typ string, id store.ID) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if f := s.events(t, 1, time.Until(deadline))[0]; f.Type == typ && f.TicketID == id {
			return true
		}
	}
	return false
}

// nginxBinary finds nginx; without it the test skips, or fails under CI=true
// (.ci/run installs it).
func nginxBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if bin, err := exec.LookPath(p); err == nil {
			return bin
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx not installed (apt-get install -y nginx)")
	}
	t.Skip("nginx not installed (apt-get install -y nginx)")
	return ""
}

// startNginx runs nginx in the foreground from a temporary directory with the
// shipped server block pointed at the two instances; it returns nginx's base URL.
func startNginx(t *testing.T, bin, upstream1, upstream2 string) string {
	t.Helper()
	shipped, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	conf := strings.NewReplacer(
		"server supportd-1:8080;", "server "+strings.TrimPrefix(upstream1, "http://")+";",
		"server supportd-2:8080;", "server "+strings.TrimPrefix(upstream2, "http://")+";",
		"listen 8080;", "listen "+addr+";",
	).Replace(string(shipped))
	for _, want := range []string{upstream1[7:], upstream2[7:], addr} {
		if !strings.Contains(conf, want) {
			t.Fatalf("deploy/nginx.conf no longer has the lines this test rewrites (%s)", want)
		}
	}
	dir := t.TempDir()
	main := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 256; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/supportd.conf;
}
`, dir)
	for name, body := range map[string]string{"nginx.conf": main, "supportd.conf": conf} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	waitListening(t, addr, done, dir)
	return "http://" + addr
}

// waitListening waits until nginx accepts connections on addr, or fails with its log.
func waitListening(t *testing.T, addr string, exited <-chan error, dir string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s", err, log)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		cancel()
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nginx not listening on %s", addr)
}
