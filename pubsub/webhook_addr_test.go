package pubsub_test

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

func TestPrivateAddr(t *testing.T) {
	cases := map[string]bool{
		// loopback
		"127.0.0.1": true, "127.255.0.9": true, "::1": true,
		// private (RFC 1918, unique local)
		"10.0.0.5": true, "172.16.0.1": true, "172.31.255.255": true, "192.168.1.1": true, "fc00::1": true, "fd12:3456::1": true,
		// link-local unicast (cloud metadata) and multicast
		"169.254.169.254": true, "fe80::1": true, "fe80::1%eth0": true, "224.0.0.251": true, "ff02::1": true,
		// interface-local multicast, multicast
		"ff01::1": true, "239.1.2.3": true, "ff0e::1": true,
		// unspecified, "this network"
		"0.0.0.0": true, "::": true, "0.1.2.3": true,
		// carrier-grade NAT, IETF protocol assignments, benchmarking, site-local
		"100.64.0.1": true, "100.127.255.255": true, "192.0.0.8": true, "198.18.0.1": true, "198.19.255.255": true,
		"fec0::1": true, "feff::1": true,
		// reserved, limited broadcast
		"240.0.0.1": true, "255.255.255.255": true,
		// IPv4-mapped IPv6 and NAT64 are judged by the IPv4 address inside
		"::ffff:10.0.0.1": true, "::ffff:127.0.0.1": true, "64:ff9b::a00:1": true, "64:ff9b::7f00:1": true,
		// public
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700::1": false, "2001:4860:4860::8888": false,
		"172.32.0.1": false, "100.128.0.1": false, "198.20.0.1": false, "192.0.2.1": false, "1.0.0.1": false, "239.255.255.255": true, "223.255.255.255": false,
		"::ffff:93.184.216.34": false, "64:ff9b::5db8:d822": false,
	}
	for s, want := range cases {
		if got := pubsub.PrivateAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("PrivateAddr(%s) = %v, want %v", s, got, want)
		}
	}
	if !pubsub.PrivateAddr(netip.Addr{}) {
		t.Error("PrivateAddr of the zero Addr = false, want true: what cannot be judged is refused")
	}
}

// TestWebhookDenyPrivate: with DenyPrivate, a webhook to a receiver on 127.0.0.1,
// named by its address or by a name that resolves to it, gets no request; each
// attempt fails, naming the address, and is retried as any failure is.
func TestWebhookDenyPrivate(t *testing.T) {
	for name, open := range map[string]func(*testing.T) hookStore{"memory": openMemory, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			f := newHookFixture(t, open(t))
			rcv := newReceiver(t, f.webhook("").Secret)
			port, ok := strings.CutPrefix(rcv.url, "http://127.0.0.1:")
			if !ok {
				t.Fatalf("receiver at %s, want one on 127.0.0.1", rcv.url)
			}
			literal := f.webhook(rcv.url)
			named := f.webhook("http://localhost:" + port + "/")
			cfg := fastHooks("a")
			cfg.DenyPrivate = true
			runDeliverer(t, f.st, cfg)
			ev := f.write(1)[0]
			for _, w := range []store.Webhook{literal, named} {
				ds := failedAttempts(t, f.st, w.ID, ev, 2, 5*time.Second)
				for _, d := range ds {
					if d.Status != 0 || !strings.HasPrefix(d.Error, "webhook address ") || !strings.HasSuffix(d.Error, ":"+port+" is private; WEBHOOK_PRIVATE=deny") {
						t.Errorf("%s: attempt %+v, want status 0 and the private address as its error", w.URL, d)
					}
				}
				if w.ID == literal.ID && ds[0].Error != "webhook address 127.0.0.1:"+port+" is private; WEBHOOK_PRIVATE=deny" {
					t.Errorf("%s: error %q, want it to name 127.0.0.1:%s", w.URL, ds[0].Error, port)
				}
			}
			if got, refused := rcv.got(), rcv.refusedCount(); len(got) != 0 || refused != 0 {
				t.Fatalf("the receiver accepted %v and refused %d requests, want none at all", got, refused)
			}
		})
	}
}

// failedAttempts waits until the deliveries of webhook id show at least n attempts
// of event ev, and returns them.
func failedAttempts(t *testing.T, st store.Webhooks, id store.ID, ev int64, n int, within time.Duration) []store.Delivery {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ds, err := st.Deliveries(t.Context(), id, store.MaxDeliveries)
		if err != nil {
			t.Fatal(err)
		}
		var of []store.Delivery
		for _, d := range ds {
			if d.EventID == ev {
				of = append(of, d)
			}
		}
		if len(of) >= n {
			return of
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v webhook %s has %+v, want %d attempts of event %d", within, id, ds, n, ev)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
