package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// killLease is WEBHOOK_LEASE in the kill test: short, so the takeover comes soon.
const killLease = 2 * time.Second

// TestWebhookSurvivesSIGKILL runs two real supportd processes on one database. A
// holds the webhook's lease (it ran alone when the webhook began delivering); while
// B takes writes and the slow receiver has a request of A's in flight, A is killed
// with SIGKILL. B must take over within the lease and a few seconds, and the
// receiver must end with every subscribed event of the log, first seen in id order,
// every request signed.
func TestWebhookSurvivesSIGKILL(t *testing.T) {
	env := sharedEnv(t, pgtest.NewDatabase(t), testRedisURL(t))
	env["WEBHOOK_LEASE"] = killLease.String()
	built := time.Now()
	bin := buildSupportd(t)
	t.Logf("built supportd in %v", time.Since(built).Round(time.Millisecond))
	rcv := newHookReceiver(t, 200*time.Millisecond)
	agent, client := newPerson(t, store.RoleSuperAdmin, "Ann"), newPerson(t, store.RoleClient, "Acme")

	a := startProcess(t, bin, env, "a")
	var hook struct{ Data store.Webhook }
	subscribed := []string{"ticket.created", "thread.added"}
	if code := call(t, a.base, agent, "POST", "/webhooks", map[string]any{"url": rcv.url, "events": subscribed}, &hook); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	rcv.setSecret(hook.Data.Secret)
	tk := createTicket(t, a.base, client, "killed mid-delivery")
	rcv.waitFor(t, 1, 10*time.Second, "A's first delivery")

	// A alone held the webhook and renews its lease every fifteenth of it: B, which
	// starts now, can take it only once A is dead.
	b := startProcess(t, bin, env, "b")
	stopWrites := writeSteadily(t, b.base, agent, tk.ID, 250*time.Millisecond)
	rcv.waitFor(t, 4, 10*time.Second, "deliveries before the kill")
	if !wsEventually(5*time.Second, rcv.busy) {
		t.Fatal("no request in flight to kill A in the middle of")
	}
	a.kill(t)
	killed := time.Now()

	time.Sleep(killLease + time.Second) // keep writing through the takeover
	stopWrites()
	var takeover time.Duration
	if !wsEventually(killLease+5*time.Second, func() bool {
		at, ok := rcv.firstAfter(killed)
		takeover = at.Sub(killed)
		return ok
	}) {
		t.Fatalf("no delivery within %v of the SIGKILL: B did not take over", killLease+5*time.Second)
	}
	t.Logf("B's first delivery came %v after A's SIGKILL (lease %v)", takeover.Round(time.Millisecond), killLease)
	if takeover > killLease+3*time.Second {
		t.Errorf("takeover took %v, want within the lease (%v) + 3 s", takeover, killLease)
	}

	// The database is the test's own and the webhook came before any write: every
	// event of the log is the webhook's.
	want := subscribedEvents(t, b.base, agent, "0", subscribed)
	rcv.waitFor(t, len(want), 15*time.Second, "every event")
	rcv.check(t, want)
}

// subscribedEvents reads the log after `after` through GET /events and returns the
// ids of the events of the given types, in order.
func subscribedEvents(t *testing.T, base string, p person, after string, types []string) []int64 {
	t.Helper()
	var feed struct {
		Data []struct{ ID, Type string }
	}
	if code := call(t, base, p, "GET", "/events?limit=1000&after="+after, nil, &feed); code != http.StatusOK {
		t.Fatalf("events: %d", code)
	}
	var ids []int64
	for _, e := range feed.Data {
		for _, ty := range types {
			if e.Type == ty {
				id, _ := strconv.ParseInt(e.ID, 10, 64)
				ids = append(ids, id)
			}
		}
	}
	if len(ids) < 10 {
		t.Fatalf("the log has %d subscribed events, want at least 10 for the test to mean something", len(ids))
	}
	return ids
}

// writeSteadily adds a thread to ticket id through base every `every` until the
// returned stop is called (stop waits for the writer). Failures are the test's.
func writeSteadily(t *testing.T, base string, p person, id store.ID, every time.Duration) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for n := 0; ; n++ {
			code, err := post(base, p, "/support-tickets/"+string(id)+"/thread", fmt.Sprintf(`{"message":"write %d"}`, n))
			if err != nil || code != http.StatusCreated {
				t.Errorf("write %d through B: %d %v", n, code, err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); wg.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// kill sends SIGKILL and reaps the process.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL %s: %v", p.name, err)
	}
	<-p.exited
}
