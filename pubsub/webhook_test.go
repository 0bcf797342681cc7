package pubsub_test

import (
	"context"
	"testing"
	"time"

	"github.com/supportd/supportd/pubsub"
)

// TestSignWebhookStandardVector checks the signature against the Standard Webhooks
// specification's published example.
func TestSignWebhookStandardVector(t *testing.T) {
	got, err := pubsub.SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; err != nil || got != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

// TestWebhookOutageDeliversAllInOrder: the endpoint answers 500 for a while; every
// event still arrives, signed, in order, and the failures are in the deliveries.
func TestWebhookOutageDeliversAllInOrder(t *testing.T) {
	for name, open := range map[string]func(*testing.T) hookStore{"memory": openMemory, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			f := newHookFixture(t, open(t))
			rcv := newReceiver(t, f.webhook("").Secret)
			w := f.webhook(rcv.url)
			rcv.setFailing(true)
			runDeliverer(t, f.st, fastHooks("a"))
			want := f.write(5)
			time.Sleep(300 * time.Millisecond) // a few failed attempts, backing off
			rcv.setFailing(false)
			want = append(want, f.write(5)...)
			checkOrder(t, rcv.waitFor(t, want, 10*time.Second), want)
			if rcv.refusedCount() < 2 {
				t.Errorf("the endpoint refused %d requests during the outage, want several", rcv.refusedCount())
			}
			ds, err := f.st.Deliveries(t.Context(), w.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			var failed int
			for _, d := range ds {
				if d.Status == 500 && d.Error == "status 500" && d.EventID == want[0] {
					failed++
				}
			}
			if failed < 2 {
				t.Errorf("deliveries show %d failed attempts of event %d, want several: %+v", failed, want[0], ds)
			}
		})
	}
}

// leaseKeeper is a store whose ReleaseWebhooks does nothing: a deliverer stopped
// with it behaves like a killed instance, whose leases only expire.
type leaseKeeper struct{ hookStore }

func (leaseKeeper) ReleaseWebhooks(context.Context, string) error { return nil }

// TestWebhookTakeoverAfterKill: instance a dies mid-delivery; b takes the webhook
// over once a's lease expires and delivers the rest, in order, nothing missing.
func TestWebhookTakeoverAfterKill(t *testing.T) {
	f := newHookFixture(t, openPostgres(t))
	rcv := newReceiver(t, f.webhook("").Secret)
	f.webhook(rcv.url)
	killA := make(chan struct{})
	rcv.onEvent = func(int64) {
		if len(rcv.accepted) == 3 {
			close(killA)
		}
	}
	stopA := runDeliverer(t, leaseKeeper{f.st}, fastHooks("a"))
	time.Sleep(100 * time.Millisecond) // a holds the lease before b starts
	runDeliverer(t, f.st, fastHooks("b"))
	want := f.write(10)
	<-killA
	stopA()
	killed := time.Now()
	got := rcv.waitFor(t, want, 10*time.Second)
	checkOrder(t, got, want)
	if took := time.Since(killed); took < 200*time.Millisecond {
		t.Errorf("the rest arrived %v after the kill: b cannot have waited for a's lease to expire", took)
	}
}

// TestWebhookReplayFromID: a replay sends again every event after the id given.
func TestWebhookReplayFromID(t *testing.T) {
	f := newHookFixture(t, openPostgres(t))
	rcv := newReceiver(t, f.webhook("").Secret)
	w := f.webhook(rcv.url)
	runDeliverer(t, f.st, fastHooks("a"))
	want := f.write(4)
	n := len(rcv.waitFor(t, want, 10*time.Second))
	if err := f.st.ReplayWebhook(t.Context(), w.ID, want[2]); err != nil {
		t.Fatal(err)
	}
	again := want[3:]
	deadline := time.Now().Add(5 * time.Second)
	for len(rcv.got()) < n+len(again) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	checkOrder(t, rcv.got()[n:], again)
}

// TestWebhookDownEndpointDelaysOnlyItsOwn: one endpoint is down throughout; the
// other webhook gets every event promptly.
func TestWebhookDownEndpointDelaysOnlyItsOwn(t *testing.T) {
	f := newHookFixture(t, openPostgres(t))
	down := newReceiver(t, f.webhook("").Secret)
	down.setFailing(true)
	up := newReceiver(t, f.webhook("").Secret)
	f.webhook(down.url)
	f.webhook(up.url)
	runDeliverer(t, f.st, fastHooks("a"))
	want := f.write(10)
	checkOrder(t, up.waitFor(t, want, 3*time.Second), want)
	if len(down.got()) != 0 || down.refusedCount() == 0 {
		t.Errorf("the down endpoint accepted %d and refused %d, want 0 and some", len(down.got()), down.refusedCount())
	}
}

// TestWebhookOfferedAndPolledOnce: events that reach the deliverer both from the
// relay (Offer) and from its own reading of the log are delivered once, in order.
func TestWebhookOfferedAndPolledOnce(t *testing.T) {
	f := newHookFixture(t, openMemory(t))
	rcv := newReceiver(t, f.webhook("").Secret)
	f.webhook(rcv.url)
	d, _ := startDeliverer(t, f.st, fastHooks("a"))
	time.Sleep(100 * time.Millisecond) // the deliverer has read the log's end
	var want []int64
	for range 5 {
		want = append(want, f.write(2)...)
		d.Offer(f.batch)
		d.Offer(f.batch) // again: nothing new
	}
	got := rcv.waitFor(t, want, 5*time.Second)
	time.Sleep(100 * time.Millisecond) // room for a wrong second copy to arrive
	if got = rcv.got(); !equal64(got, want) {
		t.Fatalf("delivered %v, want %v exactly once each, in order", got, want)
	}
}
