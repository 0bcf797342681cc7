package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/store"
)

// wsWantRefusal reads up to the next frame that is not a recorded event (marking seen
// records some, which may come late) and checks it is a TooManyRequests error.
func wsWantRefusal(t *testing.T, s *sock, what string) {
	t.Helper()
	f := s.next(t, eventWait)
	for f.ID != "" {
		f = s.next(t, eventWait)
	}
	var d struct{ Code, Message string }
	_ = json.Unmarshal(f.Data, &d)
	if f.Type != "error" || d.Code != "TooManyRequests" || d.Message == "" {
		t.Fatalf("%s: got %s, want an error frame with code TooManyRequests and a message", what, f.raw)
	}
}

// wsCountRefused pings s and reads up to the pong, counting TooManyRequests errors;
// frames that are not errors (events of what was marked seen) are skipped, and any
// other error fails the test.
func wsCountRefused(t *testing.T, s *sock) int {
	t.Helper()
	s.send(t, `{"type":"ping"}`)
	refused := 0
	for {
		f := s.next(t, eventWait)
		switch f.Type {
		case "pong":
			return refused
		case "error":
			var d struct{ Code, Message string }
			_ = json.Unmarshal(f.Data, &d)
			if d.Code != "TooManyRequests" || d.Message == "" {
				t.Fatalf("got %s, want only TooManyRequests errors", f.raw)
			}
			refused++
		}
	}
}

func TestWSSeenAndTypingDrawOnTheRESTBudget(t *testing.T) {
	const burst = 8
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			// One request every 2 s after the burst: nothing refills during the test's
			// few hundred milliseconds, unless the machine stalls (allowed for below).
			e["RATE_LIMIT"], e["RATE_BURST"] = "0.5", fmt.Sprint(burst)
			base, _ := startServe(t, e)
			a, b := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleClient, "B")
			start := time.Now()
			socks := []*sock{wsLive(t, base, a), wsLive(t, base, a), wsLive(t, base, a)}
			tk := wsTicketSeen(t, base, a, "budget", socks...) // one request of the burst
			seen := fmt.Sprintf(`{"type":"seen","threadIds":[%q]}`, tk.Threads[0].ID)
			const each = 4 // 12 seen in all, well under each socket's 20 a second
			for _, s := range socks {
				for range each {
					s.send(t, seen)
				}
			}
			refused := 0
			for _, s := range socks {
				refused += wsCountRefused(t, s) // ping is free: the pong comes
			}
			accepted := len(socks)*each - refused
			refill := int(time.Since(start).Seconds() * 0.5)
			if accepted < burst-1 || accepted > burst-1+refill {
				t.Fatalf("3 sockets × %d seen: got %d accepted, want the %d left in the REST budget (+%d refilled)",
					each, accepted, burst-1, refill)
			}

			// The sockets used the budget up: REST refuses the caller now (a seen
			// refused just before makes sure nothing refilled in between).
			socks[0].send(t, seen)
			wsWantRefusal(t, socks[0], "seen over budget")
			code, body := do(t, "GET", base+"/support-tickets", a.token, "")
			if code != http.StatusTooManyRequests {
				t.Fatalf("REST after the sockets' seen: got %d %s, want 429", code, body)
			}
			// Typing draws on it too, and the socket stays open.
			wsTyping(t, socks[1], tk.ID)
			wsWantRefusal(t, socks[1], "typing over budget")
			wsCountRefused(t, socks[1]) // the socket stays open: ping answers
			// The budget is the caller's: another client is served (and has no
			// tickets, which the contract answers with 404).
			if code, body := do(t, "GET", base+"/support-tickets", b.token, ""); code != http.StatusNotFound {
				t.Fatalf("another caller's REST: got %d %s, want 404 (served, no tickets)", code, body)
			}
		})
	}
}

func TestWSInvalidUTF8ClosesWith1007(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			s := wsLive(t, base, newPerson(t, store.RoleClient, "A"))
			// Valid JSON around a byte that is not UTF-8: decoding would take it (as
			// U+FFFD) and answer pong; the frame itself is invalid.
			if err := s.conn.Write(t.Context(), websocket.MessageText, []byte("{\"type\":\"ping\",\"x\":\"\xff\"}")); err != nil {
				t.Fatal(err)
			}
			code, reason := wsClosedWith(t, s, eventWait)
			if code != websocket.StatusInvalidFramePayloadData {
				t.Fatalf("invalid UTF-8 text frame: got close %d %q, want 1007", code, reason)
			}
		})
	}
}

// TestWSBigSeenPaysPerHundredIDs: a seen of 1,000 ids costs ten requests, as over
// REST, the first of them paid before the message is parsed (it is over 256 bytes),
// so a caller with too little left is refused without its ids being read.
func TestWSBigSeenPaysPerHundredIDs(t *testing.T) {
	e := map[string]string{"JWT_SECRET": secret, "RATE_LIMIT": "0.01", "RATE_BURST": "12"}
	base, _ := startServe(t, e)
	a := newPerson(t, store.RoleClient, "A")
	s := wsLive(t, base, a)
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("%024x", i+1)
	}
	b, _ := json.Marshal(map[string]any{"type": "seen", "threadIds": ids})
	s.send(t, string(b)) // 10 of 12: accepted (none of the ids is A's to see)
	if n := wsCountRefused(t, s); n != 0 {
		t.Fatalf("first 1,000-id seen: %d refusals, want none", n)
	}
	s.send(t, string(b)) // 1 prepaid, then 9 more of 1 left: refused
	wsWantRefusal(t, s, "second 1,000-id seen")
	if code, body := do(t, "GET", base+"/support-tickets", a.token, ""); code != http.StatusNotFound {
		t.Fatalf("REST with one request left: got %d %s, want 404 (served, no tickets)", code, body)
	}
	if code, body := do(t, "GET", base+"/support-tickets", a.token, ""); code != http.StatusTooManyRequests {
		t.Fatalf("REST with nothing left: got %d %s, want 429", code, body)
	}
}
