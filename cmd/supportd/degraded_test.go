package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/supportd/supportd/cmd/internal/faultproxy"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// freeAddr is a loopback address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// readyz returns /readyz's status and body.
func readyz(t *testing.T, base string) (int, map[string]string) {
	t.Helper()
	code, body := do(t, "GET", base+"/readyz", "", "")
	var out map[string]string
	_ = json.Unmarshal([]byte(body), &out)
	return code, out
}

// An instance whose Redis is down at start serves REST and delivers to its
// sockets from the event log; /readyz says degraded (200). Once Redis is up it
// attaches: a write on another instance reaches its sockets.
func TestStartsWithoutRedisAndAttachesWhenItComes(t *testing.T) {
	addr := freeAddr(t)
	env := sharedEnv(t, pgtest.NewDatabase(t), "redis://"+addr)
	logs := &wsLogBuffer{}
	one := wsLaunch(t, env, logs).base
	agent, a := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleClient, "A")
	s := mustDial(t, one, agent, "")
	s.hello(t)

	code, body := readyz(t, one)
	if code != 200 || body["status"] != "degraded" || body["redis"] != "unreachable" {
		t.Fatalf("readyz without redis: %d %v, want 200 degraded, redis unreachable", code, body)
	}
	if up := wsMetricValue(t, one, "supportd_redis_up"); up != 0 {
		t.Fatalf("supportd_redis_up = %v without redis, want 0", up)
	}
	start := time.Now()
	tk := createTicket(t, one, a, "no redis")
	got := s.events(t, 3, eventWait)
	t.Logf("without redis: the write's events reached the socket in %v (polling the log)", time.Since(start))
	if types(got) != "ticket.created,thread.added,counts" {
		t.Fatalf("got %s", types(got))
	}

	mr := miniredis.NewMiniRedis()
	if err := mr.StartAddr(addr); err != nil {
		t.Fatalf("start miniredis on %s: %v", addr, err)
	}
	t.Cleanup(mr.Close)
	if !wsEventually(10*time.Second, func() bool { return wsMetricValue(t, one, "supportd_redis_up") == 1 }) {
		t.Fatal("the instance did not attach to redis within 10 s")
	}
	if code, body := readyz(t, one); code != 200 || body["status"] != "ready" {
		t.Fatalf("readyz with redis back: %d %v", code, body)
	}
	two := wsLaunch(t, env, &wsLogBuffer{}).base
	start = time.Now()
	reply(t, two, agent, tk.ID, "from two")
	got = s.events(t, 1, eventWait)
	t.Logf("with redis back: a write on another instance arrived in %v", time.Since(start))
	if got[0].Type != "thread.added" || got[0].TicketID != tk.ID {
		t.Fatalf("got %s, want the reply's thread.added", got[0].raw)
	}
	for what, want := range map[string]int{"redis unreachable": 1, "redis reachable again": 1} {
		if n := strings.Count(logs.String(), what); n != want {
			t.Errorf("%q logged %d times, want %d", what, n, want)
		}
	}
}

// proxiedDB starts a fault proxy in front of dbURL's server and returns it with
// the URL through it.
func proxiedDB(t *testing.T, dbURL string) (*faultproxy.Proxy, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p, err := faultproxy.Start(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	u.Host = p.Addr()
	return p, u.String()
}

// /readyz is 503 when the database does not answer, whatever Redis does.
func TestReadyzIs503WhenTheDatabaseIsBlackholed(t *testing.T) {
	proxy, dbURL := proxiedDB(t, pgtest.NewDatabase(t))
	base := wsLaunch(t, sharedEnv(t, dbURL, testRedisURL(t)), &wsLogBuffer{}).base
	if !wsEventually(5*time.Second, func() bool { return wsMetricValue(t, base, "supportd_redis_up") == 1 }) {
		t.Fatal("no redis subscription")
	}
	if code, body := readyz(t, base); code != 200 || body["status"] != "ready" {
		t.Fatalf("readyz: %d %v, want 200 ready", code, body)
	}
	proxy.Set(faultproxy.Blackhole)
	start := time.Now()
	code, _ := readyz(t, base)
	t.Logf("readyz with the database black-holed: %d in %v", code, time.Since(start))
	proxy.Set(faultproxy.Pass)
	if code != 503 {
		t.Fatalf("readyz with the database black-holed: %d, want 503", code)
	}
}

// arrivals records when each event reached a socket.
type arrivals struct {
	ids []int64
	at  map[int64]time.Time
}

// record reads s's frames until it closes or stop is closed.
func record(s *sock, stop <-chan struct{}) <-chan arrivals {
	out := make(chan arrivals, 1)
	go func() {
		r := arrivals{at: map[int64]time.Time{}}
		defer func() { out <- r }()
		for {
			select {
			case f, ok := <-s.frames:
				if !ok {
					return
				}
				var id int64
				if _, err := fmt.Sscan(f.ID, &id); err == nil && f.ID != "" {
					r.ids = append(r.ids, id)
					r.at[id] = time.Now()
				}
			case <-stop:
				return
			}
		}
	}()
	return out
}

// With instance A's database link black-holed (TCP alive, nothing flows) and Redis
// fine, writes on B reach A's sockets as fast as B's: the hub never waits on the
// log for what Redis brings. Once the link is back, every socket's ledger is
// complete and in order, and a resume on A replays the window exactly.
func TestBlackholedDatabaseDoesNotDelayRedisDelivery(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	proxy, viaProxy := proxiedDB(t, dbURL)
	env := sharedEnv(t, dbURL, testRedisURL(t))
	envA := maps.Clone(env)
	envA["DATABASE_URL"] = viaProxy
	a := wsLaunch(t, envA, &wsLogBuffer{}).base
	b := wsLaunch(t, env, &wsLogBuffer{}).base
	agent, client := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleClient, "C")
	tk := createTicket(t, b, client, "blackhole")
	socks := map[string]*sock{}
	for name, base := range map[string]string{"A": a, "B": b} {
		s := mustDial(t, base, agent, "")
		s.hello(t)
		socks[name] = s
	}
	stop := make(chan struct{})
	rec := map[string]<-chan arrivals{"A": record(socks["A"], stop), "B": record(socks["B"], stop)}
	time.Sleep(300 * time.Millisecond) // the ticket's events, if the hellos preceded them

	const writes, window = 40, 2 * time.Second
	proxy.Set(faultproxy.Blackhole)
	cut := time.Now()
	for i := range writes {
		reply(t, b, agent, tk.ID, fmt.Sprint("w", i))
		time.Sleep(window / writes)
	}
	restored := time.Now()
	proxy.Set(faultproxy.Pass)
	time.Sleep(time.Second)
	close(stop)
	got := map[string]arrivals{"A": <-rec["A"], "B": <-rec["B"]}
	// The window's events: from the first that reached B after the cut.
	first := int64(-1)
	for _, id := range got["B"].ids {
		if first < 0 && got["B"].at[id].After(cut) {
			first = id
		}
	}
	for name, r := range got {
		i := 0
		for i < len(r.ids) && r.ids[i] < first {
			i++
		}
		r.ids = r.ids[i:]
		got[name] = r
	}

	inWindow := func(r arrivals) int {
		n := 0
		for _, at := range r.at {
			if at.After(cut) && at.Before(restored) {
				n++
			}
		}
		return n
	}
	var worst time.Duration
	for _, id := range got["B"].ids {
		if d := got["A"].at[id].Sub(got["B"].at[id]); d > worst {
			worst = d
		}
	}
	t.Logf("during the %v black hole: %d deliveries on A, %d on B; A at most %v behind B",
		restored.Sub(cut).Round(time.Millisecond), inWindow(got["A"]), inWindow(got["B"]), worst)
	for name, r := range got {
		if len(r.ids) != writes {
			t.Fatalf("%s got %d events, want %d", name, len(r.ids), writes)
		}
		for i := 1; i < len(r.ids); i++ {
			if r.ids[i] != r.ids[i-1]+1 {
				t.Fatalf("%s: id %d after %d", name, r.ids[i], r.ids[i-1])
			}
		}
	}
	if worst > time.Second || inWindow(got["A"])*2 < inWindow(got["B"]) {
		t.Fatalf("A lagged B by up to %v (%d vs %d deliveries in the window), want under 1 s and at least half",
			worst, inWindow(got["A"]), inWindow(got["B"]))
	}

	resumed := mustDial(t, a, agent, fmt.Sprint("lastEventId=", first-1))
	resumed.hello(t)
	replayed := resumed.events(t, writes, eventWait)
	wantConsecutive(t, "resume on A", replayed)
	if replayed[0].ID != fmt.Sprint(first) {
		t.Fatalf("resume on A starts at %s, want %d", replayed[0].ID, first)
	}
	resumed.quiet(t)
}

// While Redis is down, presence is this instance's: an agent connecting here is
// counted by the clients here.
func TestPresenceIsLocalWhileRedisIsDown(t *testing.T) {
	base := wsLaunch(t, sharedEnv(t, pgtest.NewDatabase(t), "redis://"+freeAddr(t)), &wsLogBuffer{}).base
	client := mustDial(t, base, newPerson(t, store.RoleClient, "C"), "")
	client.hello(t)
	if n := wsAgentsOnline(t, client, 5*time.Second); n != 0 {
		t.Fatalf("agentsOnline %d before any agent, want 0", n)
	}
	agent := mustDial(t, base, newPerson(t, store.RoleSuperAdmin, "Ann"), "")
	agent.hello(t)
	if n := wsAgentsOnline(t, client, 5*time.Second); n != 1 {
		t.Fatalf("agentsOnline %d with an agent here and redis down, want 1", n)
	}
}
