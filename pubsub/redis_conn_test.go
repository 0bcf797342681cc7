package pubsub

import (
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/supportd/supportd/store"
)

// TestRedisConnectionKilled kills the subscriber's own connection on the real
// Redis (CLIENT KILL ID, as an admin or a failover would): it must resubscribe,
// call Subscribed again, and go on receiving.
func TestRedisConnectionKilled(t *testing.T) {
	t.Parallel()
	raw := realRedisURL(t)
	prefix := randomPrefix(t)
	name := "supportdtest-" + strings.Trim(prefix[len(prefix)-13:], ":")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("client_name", name)
	u.RawQuery = q.Encode()
	b := newTestRedis(t, u.String(), prefix)
	rec := startSubscriber(t, b)

	admin := mustOpenRedis(t, raw)
	defer admin.Close()
	ctx := testContext(t)
	list, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		f := clientFields(line)
		if f["name"] == name && f["sub"] != "0" {
			if err := admin.ClientKillByFilter(ctx, "ID", f["id"]).Err(); err != nil {
				t.Fatalf("CLIENT KILL ID %s: %v", f["id"], err)
			}
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("got %d subscriber connections named %s, want 1", killed, name)
	}
	rec.waitFor(t, "Subscribed after the kill", func(r *recording) bool { return r.subscribed == 2 })
	mustPublish(t, b, []store.Event{testEvent(1, store.EventCounts, "")})
	rec.waitFor(t, "event 1", func(r *recording) bool { return len(r.batches) == 1 })
}

// clientFields parses one CLIENT LIST line ("id=3 addr=... name=x sub=2 ...").
func clientFields(line string) map[string]string {
	f := map[string]string{}
	for _, kv := range strings.Fields(line) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	return f
}

// TestRedisDeadConnection silences the subscriber's connection without closing
// it, as a dropped NAT entry or a frozen host does: no error ever reaches the
// reader, so only the health-check ping can notice, and then resubscribe.
func TestRedisDeadConnection(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	proxy := startBlackholeProxy(t, mr.Addr())
	b := newTestRedis(t, "redis://"+proxy.addr(), randomPrefix(t))
	b.healthInterval = 100 * time.Millisecond
	rec := startSubscriber(t, b)

	// Quiet for several intervals: answered pings must not restart anything.
	time.Sleep(5 * b.healthInterval)
	if got := rec.snapshot().subscribed; got != 1 {
		t.Fatalf("got %d Subscribed calls on a healthy idle link, want 1", got)
	}

	proxy.silenceAll()
	start := time.Now()
	rec.waitFor(t, "Subscribed after the link went silent", func(r *recording) bool { return r.subscribed == 2 })
	t.Logf("dead link noticed and resubscribed in %v", time.Since(start).Round(time.Millisecond))
	// This publish takes a read timeout: its pooled connection went silent too,
	// and go-redis retries on a new one.
	mustPublish(t, b, []store.Event{testEvent(1, store.EventCounts, "")})
	rec.waitFor(t, "event 1", func(r *recording) bool { return len(r.batches) == 1 })
}

// blackholeProxy forwards TCP to a target; silenceAll makes every connection open
// so far swallow all traffic, both ways, without closing. New connections work.
type blackholeProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	links []*proxyLink
}

type proxyLink struct {
	client, server net.Conn
	silent         atomic.Bool
}

func startBlackholeProxy(t testing.TB, target string) *blackholeProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackholeProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *blackholeProxy) addr() string { return p.ln.Addr().String() }

func (p *blackholeProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed
		}
		s, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			_ = c.Close()
			continue
		}
		l := &proxyLink{client: c, server: s}
		p.mu.Lock()
		p.links = append(p.links, l)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(l, s, c)
		go p.pipe(l, c, s)
	}
}

// pipe copies src to dst until either side closes, dropping data while silent.
func (p *blackholeProxy) pipe(l *proxyLink, dst, src net.Conn) {
	defer p.wg.Done()
	defer l.client.Close()
	defer l.server.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.silent.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *blackholeProxy) silenceAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.silent.Store(true)
	}
}

func (p *blackholeProxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, l := range p.links {
		_ = l.client.Close()
		_ = l.server.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
