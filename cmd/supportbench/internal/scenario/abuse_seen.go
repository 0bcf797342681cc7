package scenario

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// seenWriteTimeout bounds one seen message's write: a server that stops reading
// must not hold the flood's writers past the phase.
const seenWriteTimeout = 5 * time.Second

// seenPayloads are the seen messages of the flood: ids in windows of per,
// wrapping around, so that together they name every id.
func seenPayloads(ids []string, per int) [][]byte {
	if len(ids) == 0 {
		return nil
	}
	var out [][]byte
	for start := 0; start < len(ids); start += per {
		win := make([]string, per)
		for k := range win {
			win[k] = ids[(start+k)%len(ids)]
		}
		b, _ := json.Marshal(map[string]any{"type": "seen", "threadIds": win})
		out = append(out, b)
	}
	return out
}

// seenFlood opens -seen-sockets sockets of the attacking client, each sending
// -seen-rate seen messages a second until ctx ends; it tallies what was sent and
// what the server answered (error codes, closes).
func seenFlood(ctx context.Context, e *env, f abuseFlags, w *abuseWorld, t *attackTally) {
	payloads := seenPayloads(w.badThreads, f.seenIDs)
	var wg sync.WaitGroup
	for i := range f.seenSockets {
		wg.Go(func() {
			conn, err := e.dialAs(ctx, w.bad)
			if err != nil {
				if ctx.Err() == nil {
					key := "dial " + answerKey(0, err)
					if he, ok := err.(*wsclient.HandshakeError); ok {
						key = "dial " + strconv.Itoa(he.Status)
					}
					t.count(key, -1)
				}
				return
			}
			var readers sync.WaitGroup
			readers.Go(func() { readAnswers(conn, t) })
			floodSocket(ctx, conn, payloads, i, f.seenRate, t)
			conn.Close(websocket.StatusNormalClosure, "")
			readers.Wait()
		})
	}
	wg.Wait()
}

// floodSocket writes seen messages at rate until ctx ends or a write fails.
func floodSocket(ctx context.Context, conn *websocket.Conn, payloads [][]byte, i int, rate float64, t *attackTally) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for k := i; ; k++ {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
		wctx, cancel := context.WithTimeout(ctx, seenWriteTimeout)
		err := conn.Write(wctx, websocket.MessageText, payloads[k%len(payloads)])
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				t.count("write failed", -1)
			}
			return
		}
		t.count("seen sent", -1)
	}
}

// readAnswers reads the server's frames until the socket ends, tallying error
// frames by code and a close by the server by its status.
func readAnswers(conn *websocket.Conn, t *attackTally) {
	conn.SetReadLimit(wsclient.ReadLimit)
	for {
		_, b, err := conn.Read(context.Background())
		if err != nil {
			if st := websocket.CloseStatus(err); st != -1 && st != websocket.StatusNormalClosure {
				t.count("closed "+strconv.Itoa(int(st)), -1)
			}
			return
		}
		var m struct {
			Type string `json:"type"`
			Data struct {
				Code string `json:"code"`
			} `json:"data"`
		}
		if json.Unmarshal(b, &m) == nil && m.Type == "error" {
			t.count("error "+m.Data.Code, -1)
		}
	}
}

// dialAs opens a WebSocket to the first target as who.
func (e *env) dialAs(ctx context.Context, who *identity.User) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, wsclient.DialTimeout)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", who.Bearer)
	conn, resp, err := websocket.Dial(ctx, e.ws.URLs[0], &websocket.DialOptions{
		HTTPClient: e.ws.HTTP, HTTPHeader: h, CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &wsclient.HandshakeError{Status: resp.StatusCode}
		}
		return nil, err
	}
	return conn, nil
}
