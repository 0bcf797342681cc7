package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

// abuseWorld is what the setup created: the well-behaved tenant, the attacking
// client with its big tickets, and a super admin who searches too.
type abuseWorld struct {
	good       *goodTenant
	bad, admin *identity.User
	badThreads []string // the attacking client's thread ids, for seen
}

// maxSetupAnswer bounds one setup answer read into memory: an insert answers
// with the ticket and its threads (about 1 MiB at the server's limits).
const maxSetupAnswer = 8 << 20

// send is one REST request as who (nil: no token) on the first target; the
// caller closes the body.
func (e *env) send(ctx context.Context, who *identity.User, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.targets[0].String()+path, rd)
	if err != nil {
		return nil, err
	}
	if who != nil {
		req.Header.Set("Authorization", who.Bearer)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.rest.Do(req)
}

// retryAfter reads a Retry-After of whole seconds; anything else is a second.
func retryAfter(h string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 && n <= 60 {
		return max(time.Duration(n)*time.Second, 100*time.Millisecond)
	}
	return time.Second
}

// callPaced is one setup request that waits out the server's rate limit: the
// abuse scenario runs against the default limit, so a 429 is retried after its
// Retry-After, at most retries times. It tallies every answer, 429s included.
func (e *env) callPaced(ctx context.Context, who *identity.User, method, path string, body any, retries int, tally *codes) (int, []byte, error) {
	for try := 0; ; try++ {
		resp, err := e.send(ctx, who, method, path, body)
		if err != nil {
			tally.add(0, err)
			return 0, nil, err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxSetupAnswer))
		resp.Body.Close()
		tally.add(resp.StatusCode, err)
		if resp.StatusCode != http.StatusTooManyRequests || try >= retries {
			return resp.StatusCode, b, err
		}
		sleepCtx(ctx, retryAfter(resp.Header.Get("Retry-After")))
		if ctx.Err() != nil {
			return resp.StatusCode, b, ctx.Err()
		}
	}
}

// insertAs creates a ticket with messages as who and returns its thread ids.
func (e *env) insertAs(ctx context.Context, who *identity.User, title string, messages []string, retries int, tally *codes) (id string, threads []string, err error) {
	in := insertIn{Title: title, Category: "other"}
	for _, m := range messages {
		in.Threads = append(in.Threads, threadIn{Message: m})
	}
	status, b, err := e.callPaced(ctx, who, http.MethodPost, "/support-tickets/insert", in, retries, tally)
	if err != nil {
		return "", nil, err
	}
	if status != http.StatusCreated {
		return "", nil, fmt.Errorf("insert: HTTP %d: %.200s", status, b)
	}
	var out struct {
		Data struct {
			ID      string `json:"_id"`
			Threads []struct {
				ID string `json:"_id"`
			} `json:"threads"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Data.ID == "" {
		return "", nil, fmt.Errorf("insert: unexpected answer %.200s", b)
	}
	for _, t := range out.Data.Threads {
		threads = append(threads, t.ID)
	}
	return out.Data.ID, threads, nil
}

// filler is n characters of made-up lower-case words (2–9 letters), the same
// for the same seed: bulk that every short-word search matches.
func filler(seed uint64, n int) string {
	var b strings.Builder
	b.Grow(n)
	x := seed
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		x = mix64(x)
		for k := range 2 + int(x%8) {
			if b.Len() == n {
				break
			}
			b.WriteByte(byte('a' + (x>>(8+5*k))%26))
		}
	}
	return b.String()[:n]
}

// goodWords are in every well-behaved ticket: its 2-word search finds them with
// words long enough for an index.
const goodWords = "printer jammed"

func setupAbuse(ctx context.Context, e *env, f abuseFlags, r *report.Report) (*abuseWorld, error) {
	prefix := "sb " + e.c.run + " abuse "
	var ids [3]*identity.User
	for i, x := range [3][2]string{{identity.RoleClient, "good"}, {identity.RoleClient, "attacker"}, {identity.RoleAdmin, "agent"}} {
		var err error
		if ids[i], err = e.mint.User(x[0], prefix+x[1]); err != nil {
			return nil, err
		}
	}
	w := &abuseWorld{good: &goodTenant{who: ids[0]}, bad: ids[1], admin: ids[2]}
	var tally codes
	t0 := time.Now()
	for i := range f.goodTickets {
		id, _, err := e.insertAs(ctx, w.good.who, fmt.Sprintf("%sgood %d: %s", prefix, i, goodWords),
			[]string{"the " + goodWords + " again", "we restarted it", "still " + goodWords}, f.setupRetries, &tally)
		if err != nil {
			return nil, fmt.Errorf("abuse: setup: well-behaved ticket: %w", err)
		}
		w.good.tickets = append(w.good.tickets, id)
	}
	// The big tickets go two at a time: each insert is about 1 MB.
	threads := make([][]string, f.bigTickets)
	var mu sync.Mutex
	var firstErr error
	forEach(ctx, f.bigTickets, 2, func(i int) {
		msgs := make([]string, f.bigThreads)
		for k := range msgs {
			msgs[k] = filler(uint64(i*1000+k+1), f.bigChars)
		}
		_, ids, err := e.insertAs(ctx, w.bad, fmt.Sprintf("%sbig %d", prefix, i), msgs, f.setupRetries, &tally)
		mu.Lock()
		defer mu.Unlock()
		threads[i] = ids
		if err != nil && firstErr == nil {
			firstErr = err
		}
	})
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return nil, fmt.Errorf("abuse: setup: big ticket: %w", firstErr)
	}
	for _, ids := range threads {
		w.badThreads = append(w.badThreads, ids...)
	}
	r.Setup.Add("wellBehavedTickets", f.goodTickets)
	r.Setup.Add("bigTickets", f.bigTickets)
	r.Setup.Add("bigThreads", len(w.badThreads))
	r.Setup.Add("took", time.Since(t0).Round(time.Millisecond).String())
	r.Setup.Add("answers", report.FormatCodes(tally.snapshot()))
	r.Setup.Add("bigListMB", e.bigListSize(ctx, w.bad, f))
	return w, nil
}

// bigListSize reads the attacking client's list page of 100 once and returns its
// size in MB (-1 when it could not be read).
func (e *env) bigListSize(ctx context.Context, who *identity.User, f abuseFlags) float64 {
	for try := 0; try <= f.setupRetries; try++ {
		resp, err := e.send(ctx, who, http.MethodGet, "/support-tickets?limit=100", nil)
		if err != nil {
			return -1
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return float64(n) / 1e6
		}
		if resp.StatusCode != http.StatusTooManyRequests {
			return -1
		}
		sleepCtx(ctx, retryAfter(resp.Header.Get("Retry-After")))
	}
	return -1
}
