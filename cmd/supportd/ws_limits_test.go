package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
)

func TestWSOriginsAllowedAndRefused(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			e := env(t)
			e["ALLOWED_ORIGINS"] = "https://app.example.com,*.widgets.test"
			base, _ := startServe(t, e)
			a := newPerson(t, store.RoleClient, "A")
			host := strings.TrimPrefix(base, "http://")

			for _, origin := range []string{
				"https://app.example.com",
				"https://APP.example.com", // origins compare case-insensitively
				"https://x.widgets.test",
				"https://a.b.widgets.test",
				"",               // no Origin: a non-browser client
				"http://" + host, // the same host as the request
			} {
				h := wsBearer(a)
				if origin != "" {
					h.Set("Origin", origin)
				}
				c, status, body := wsUpgrade(t, base, "", h)
				if c == nil {
					t.Fatalf("Origin %q: got %d %s, want the socket opened", origin, status, body)
				}
				c.CloseNow()
			}

			for _, origin := range []string{
				"https://evil.example",
				"http://app.example.com",               // another scheme is another origin
				"https://app.example.com:8443",         // another port too
				"https://app.example.com.evil.example", // not a suffix trick
				"https://x.widgets.test.evil.example",
				"https://widgets.evil",
				"null",
			} {
				c, status, body := wsUpgrade(t, base, "", wsBearer(a, "Origin", origin))
				wsWantRefused(t, "Origin "+origin, c, status, body, http.StatusForbidden, "Forbidden")
			}

			// The token is checked first: no token and a bad origin is 401.
			c, status, body := wsUpgrade(t, base, "", http.Header{"Origin": {"https://evil.example"}})
			wsWantRefused(t, "no token, bad origin", c, status, body, http.StatusUnauthorized, "Unauthorized")
		})
	}
}

func TestWSUpgradeNeedsAValidToken(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a := newPerson(t, store.RoleClient, "A")
			other, _ := api.NewAuth("another-secret-that-is-at-least-32-bytes", nil)
			forged, _ := other.Mint(a.Caller, time.Hour)
			expired := wsPersonWithTTL(t, store.RoleClient, "Old", -time.Minute).token

			cases := []struct {
				name   string
				query  string
				header http.Header
			}{
				{"no token", "", http.Header{}},
				{"garbage bearer", "", http.Header{"Authorization": {"Bearer not-a-jwt"}}},
				{"wrong secret", "", http.Header{"Authorization": {"Bearer " + forged}}},
				{"expired", "", http.Header{"Authorization": {"Bearer " + expired}}},
				{"basic scheme", "", http.Header{"Authorization": {"Basic " + a.token}}},
				{"empty access_token", "access_token=", http.Header{}},
				{"garbage access_token", "access_token=xyz", http.Header{}},
				{"forged access_token", "access_token=" + forged, http.Header{}},
			}
			for _, tc := range cases {
				c, status, body := wsUpgrade(t, base, tc.query, tc.header)
				wsWantRefused(t, tc.name, c, status, body, http.StatusUnauthorized, "Unauthorized")
				if strings.Contains(body, forged) || strings.Contains(body, expired) {
					t.Fatalf("%s: the 401 body %q echoes the token", tc.name, body)
				}
			}

			// A valid token in the query works, and so does a lower-case scheme.
			s := mustDial(t, base, person{Caller: a.Caller}, "access_token="+a.token)
			s.hello(t)
			wsStillOpen(t, s, "access_token socket")
			c, status, body := wsUpgrade(t, base, "", http.Header{"Authorization": {"bearer " + a.token}})
			if c == nil {
				t.Fatalf("lower-case bearer: got %d %s, want the socket opened", status, body)
			}
		})
	}
}

func TestWSAccessTokenIsNeverLogged(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			var logs wsLogBuffer
			srv := wsLaunch(t, env(t), &logs)
			a := newPerson(t, store.RoleClient, "A")
			other, _ := api.NewAuth("another-secret-that-is-at-least-32-bytes", nil)
			forged, _ := other.Mint(a.Caller, time.Hour)

			s := mustDial(t, srv.base, person{Caller: a.Caller}, "access_token="+a.token+"&lastEventId=0")
			s.hello(t)
			createTicket(t, srv.base, a, "logged?")
			s.events(t, 3, eventWait)
			s.conn.Close(websocket.StatusNormalClosure, "bye")
			c, status, body := wsUpgrade(t, srv.base, "access_token="+forged, http.Header{})
			wsWantRefused(t, "forged access_token", c, status, body, http.StatusUnauthorized, "Unauthorized")
			c, status, body = wsUpgrade(t, srv.base, "access_token="+a.token+"&lastEventId=x", http.Header{})
			wsWantRefused(t, "bad lastEventId", c, status, body, http.StatusBadRequest, "BadRequest")

			// The socket's request is logged when its handler ends: wait for that
			// line, so the check below reads a log that did record the sockets.
			if !wsEventually(eventWait, func() bool { return strings.Count(logs.String(), `"route":"/ws"`) >= 3 }) {
				t.Fatalf("got no request lines for /ws in the log, want 3:\n%s", logs.String())
			}
			if err := srv.stop(t); err != nil {
				t.Fatalf("serve returned %v, want nil", err)
			}
			out := logs.String()
			for what, tok := range map[string]string{"valid": a.token, "forged": forged} {
				if strings.Contains(out, tok) {
					t.Fatalf("the %s access_token appears in the log:\n%s", what, out)
				}
				// Nor any part of it that identifies it (its signature).
				if sig := tok[strings.LastIndex(tok, ".")+1:]; strings.Contains(out, sig) {
					t.Fatalf("the %s token's signature appears in the log", what)
				}
			}
			if strings.Contains(out, "access_token") {
				t.Fatalf("the query (access_token) appears in the log:\n%s", out)
			}
		})
	}
}

func TestWSAtMost20SocketsPerCaller(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, b := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleClient, "B")
			var socks []*sock
			for i := range 20 {
				s, err := dial(t, base, a, "")
				if err != nil {
					t.Fatalf("socket %d: got %v, want it opened", i+1, err)
				}
				s.hello(t)
				socks = append(socks, s)
			}
			c, status, body := wsUpgrade(t, base, "", wsBearer(a))
			wsWantRefused(t, "21st socket", c, status, body, http.StatusTooManyRequests, "TooManyRequests")
			// The limit is per caller: B still gets one.
			mustDial(t, base, b, "").hello(t)
			// The 20 are all still served.
			wsStillOpen(t, socks[19], "20th socket")

			// Closing one frees its slot once its handler ends.
			socks[0].conn.Close(websocket.StatusNormalClosure, "bye")
			var again *sock
			if !wsEventually(eventWait, func() bool {
				s, err := dial(t, base, a, "")
				if err != nil && !strings.Contains(err.Error(), "status 429") {
					t.Fatalf("after closing one: got %v, want 101 or (briefly) 429", err)
				}
				again = s
				return err == nil
			}) {
				t.Fatalf("after closing one socket: got 429 for %v, want a new socket accepted", eventWait)
			}
			again.hello(t)
			// And the slot is taken again.
			c, status, body = wsUpgrade(t, base, "", wsBearer(a))
			wsWantRefused(t, "21st socket again", c, status, body, http.StatusTooManyRequests, "TooManyRequests")
		})
	}
}

func TestWSExpiredTokenClosesWith4001(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			// exp has whole seconds: this token expires 1 to 2 s from now.
			a := wsPersonWithTTL(t, store.RoleClient, "A", 2*time.Second)
			opened := time.Now()
			s := mustDial(t, base, a, "")
			s.hello(t)
			wsStillOpen(t, s, "before expiry")
			code, reason := wsClosedWith(t, s, 5*time.Second)
			if code != 4001 {
				t.Fatalf("got close %d %q, want 4001", code, reason)
			}
			if d := time.Since(opened); d < 900*time.Millisecond {
				t.Fatalf("closed after %v, want not before the token's exp (≥ 1 s)", d)
			}
		})
	}
}

func TestWSFrameOver64KiBClosesWith1009(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a := newPerson(t, store.RoleClient, "A")
			s := mustDial(t, base, a, "")
			s.hello(t)
			// Exactly 64 KiB is allowed.
			pad := 64<<10 - len(`{"type":"ping","pad":""}`)
			s.send(t, `{"type":"ping","pad":"`+strings.Repeat("x", pad)+`"}`)
			if f := s.next(t, eventWait); f.Type != "pong" {
				t.Fatalf("64 KiB ping: got %s, want pong", f.raw)
			}
			// One byte more is not.
			s.send(t, `{"type":"ping","pad":"`+strings.Repeat("x", pad+1)+`"}`)
			code, reason := wsClosedWith(t, s, eventWait)
			if code != websocket.StatusMessageTooBig {
				t.Fatalf("64 KiB + 1: got close %d %q, want 1009", code, reason)
			}
		})
	}
}

func TestWSBadMessagesGetAnErrorAndTheSocketStaysOpen(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a := newPerson(t, store.RoleClient, "A")
			s := mustDial(t, base, a, "")
			s.hello(t)
			for _, msg := range []string{
				`not json`,
				`{"type":"ping"`,
				`[]`,
				`"ping"`,
				`{}`,
				`{"type":"subscribe"}`,
				`{"type":"PING"}`,
				`{"type":7}`,
				`{"type":"seen"}`,
				`{"type":"seen","threadIds":[]}`,
				`{"type":"seen","threadIds":["nope"]}`,
				`{"type":"seen","threadIds":[42]}`,
				`{"type":"seen","threadIds":"abc"}`,
				fmt.Sprintf(`{"type":"seen","threadIds":[%s"AAAAAAAAAAAAAAAAAAAAAAAA"]}`, strings.Repeat(`"aaaaaaaaaaaaaaaaaaaaaaaa",`, 1000)),
			} {
				s.send(t, msg)
				wsWantError(t, s, msg[:min(len(msg), 60)], "BadRequest")
				wsStillOpen(t, s, "after "+msg[:min(len(msg), 60)])
				// Two messages a round: stay under the 20 a second.
				time.Sleep(110 * time.Millisecond)
			}
			// A binary frame is not a JSON text message.
			if err := s.conn.Write(t.Context(), websocket.MessageBinary, []byte(`{"type":"ping"}`)); err != nil {
				t.Fatal(err)
			}
			wsWantError(t, s, "binary frame", "BadRequest")
			wsStillOpen(t, s, "after a binary frame")
			// Typing with a malformed ticket id is not found (ids in paths are 404).
			s.send(t, `{"type":"typing","ticketId":"nope"}`)
			wsWantError(t, s, "typing with a bad id", "NotFound")
			wsStillOpen(t, s, "after typing with a bad id")
		})
	}
}

func TestWSFloodGetsTooManyRequestsThenClose1008(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a := newPerson(t, store.RoleClient, "A")
			s := mustDial(t, base, a, "")
			s.hello(t)

			// 30 at once: the first 20 are served, some of the rest refused.
			for range 30 {
				s.send(t, `{"type":"ping"}`)
			}
			pongs, limited := 0, 0
			for range 30 {
				f := s.next(t, eventWait)
				switch {
				case f.Type == "pong":
					pongs++
				case f.Type == "error" && strings.Contains(string(f.Data), `"code":"TooManyRequests"`):
					limited++
				default:
					t.Fatalf("flood of 30: got %s, want pong or a TooManyRequests error", f.raw)
				}
			}
			if pongs < 20 || limited == 0 {
				t.Fatalf("flood of 30: got %d pongs and %d TooManyRequests, want ≥ 20 and ≥ 1", pongs, limited)
			}
			// A second later the socket is served again.
			time.Sleep(time.Second)
			wsStillOpen(t, s, "a second after the burst")

			// Going on gets the socket closed with 1008.
			for range 100 {
				if err := s.conn.Write(t.Context(), websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
					break // closed under us: expected
				}
			}
			code, reason := wsClosedWith(t, s, eventWait)
			if code != websocket.StatusPolicyViolation {
				t.Fatalf("100 fast messages: got close %d %q, want 1008", code, reason)
			}
		})
	}
}

func TestWSSlowConsumerIsCutOthersGetEverything(t *testing.T) {
	for name, env := range backends(t) {
		t.Run(name, func(t *testing.T) {
			base, _ := startServe(t, env(t))
			a, agent := newPerson(t, store.RoleClient, "A"), newPerson(t, store.RoleSuperAdmin, "Ann")
			normal := wsLive(t, base, agent)
			// The other socket of the same agent never reads.
			ctx, cancel := context.WithTimeout(context.Background(), 4*eventWait)
			defer cancel()
			slow, _, err := websocket.Dial(ctx, strings.Replace(base, "http", "ws", 1)+"/ws",
				&websocket.DialOptions{HTTPHeader: wsBearer(agent)})
			if err != nil {
				t.Fatal(err)
			}
			defer slow.CloseNow()
			slow.SetReadLimit(1 << 20)
			tk := wsTicketSeen(t, base, a, "small", normal)

			// A ticket with 100 threads of 9,000 characters is ~2 MB of frames: one
			// fills the TCP buffers of the socket that does not read (the server's
			// send buffer is capped at 128 KiB), and its writer blocks. Small replies
			// then queue as batches of one or a few: some tens of them fill its
			// 32-batch queue.
			big := map[string]any{"title": "big", "category": "billing"}
			var threads []any
			for range 100 {
				threads = append(threads, map[string]any{"message": strings.Repeat("x", 9000)})
			}
			big["threads"] = threads
			start, events := time.Now(), 0
			if code := call(t, base, a, "POST", "/support-tickets/insert", big, nil); code != 201 {
				t.Fatalf("big insert: got %d, want 201", code)
			}
			events += 102 // ticket.created, 100 × thread.added, counts
			got := normal.events(t, events, 4*eventWait)
			for wsMetricValue(t, base, "supportd_ws_slow_disconnects_total") < 1 {
				if events >= 102+300 {
					t.Fatalf("after %d events in %v: got no slow consumer cut, want one", events, time.Since(start))
				}
				for range 10 {
					reply(t, base, agent, tk.ID, "small")
					events++
				}
			}
			t.Logf("slow consumer cut after %d events in %v", events, time.Since(start))
			if got := wsMetricValue(t, base, "supportd_ws_slow_disconnects_total"); got != 1 {
				t.Fatalf("slow disconnects: got %v, want 1 (only the socket that does not read)", got)
			}

			// The one that did not read finds, once it reads, a close 1008. (Read
			// at once: its writer may be blocked, and gives up after 5 s.)
			frames := wsSlowConsumerClosed(t, ctx, slow, "non-reading socket")
			if want := events + 5; frames >= want { // + hello, presence and "small"'s 3
				t.Fatalf("non-reading socket: got %d frames, want fewer than %d (it was cut)", frames, want)
			}
			// The reading socket got every event, in order, ids one by one.
			got = append(got, normal.events(t, events-len(got), 4*eventWait)...)
			wantConsecutive(t, "reading socket", got)
			wsStillOpen(t, normal, "the reading socket")
		})
	}
}
