package scenario

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

// attack is one abuse: warmUp (optional) runs before the phase is measured, run
// until its context ends, both tallying the attacker's answers.
type attack struct {
	name   string
	warmUp func(ctx context.Context, t *attackTally)
	run    func(ctx context.Context, t *attackTally)
}

// attackTally counts an attacker's answers by "who status" and times its requests.
type attackTally struct {
	mu    sync.Mutex
	codes map[string]int
	took  []time.Duration
	bytes atomic.Int64
}

func newAttackTally() *attackTally { return &attackTally{codes: map[string]int{}} }

// answerKey names an answer as codes.add does: the status, or "timeout" / "net".
func answerKey(status int, err error) string {
	if err == nil {
		return strconv.Itoa(status)
	}
	var te interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout()) {
		return "timeout"
	}
	return "net"
}

// count adds one answer under key; took ≥ 0 also joins the latencies.
func (t *attackTally) count(key string, took time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.codes[key]++
	if took >= 0 {
		t.took = append(t.took, took)
	}
}

// attackerRow is an attack's figures in its phase.
type attackerRow struct {
	Answers map[string]int `json:"answers"`
	PerSec  float64        `json:"perSecond"`
	Ms      report.Dist    `json:"ms"`
	MB      float64        `json:"mbRead"`
}

func (t *attackTally) row(span time.Duration) attackerRow {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := attackerRow{Answers: t.codes, Ms: report.DistOf(t.took), MB: float64(t.bytes.Load()) / 1e6}
	n := 0
	for _, v := range t.codes {
		n += v
	}
	if span > 0 {
		r.PerSec = float64(n) / span.Seconds()
	}
	return r
}

func (a attackerRow) String() string {
	s := fmt.Sprintf("%.1f/s  answers %s", a.PerSec, report.FormatCodes(a.Answers))
	if a.Ms.N > 0 {
		s += fmt.Sprintf("  p50 %.1f  p99 %.1f ms", a.Ms.P50, a.Ms.P99)
	}
	if a.MB > 0 {
		s += fmt.Sprintf("  %.0f MB read", a.MB)
	}
	return s
}

// newAttack returns the named attack (one of attackNames).
func newAttack(name string, e *env, f abuseFlags, w *abuseWorld) *attack {
	switch name {
	case "big-list":
		return &attack{name: name, run: func(ctx context.Context, t *attackTally) {
			hammer(ctx, e, f, t, f.listReaders, func(int) (*identity.User, string, string) {
				return w.bad, "", "/support-tickets?limit=100"
			})
		}}
	case "search":
		return &attack{name: name, run: func(ctx context.Context, t *attackTally) {
			hammer(ctx, e, f, t, f.searchInFlight, func(i int) (*identity.User, string, string) {
				if i%2 == 1 {
					return w.admin, "admin ", shortWordSearch
				}
				return w.bad, "client ", shortWordSearch
			})
		}}
	case "seen":
		return &attack{name: name, run: func(ctx context.Context, t *attackTally) { seenFlood(ctx, e, f, w, t) }}
	default: // metrics
		var next atomic.Int64
		junk := func(ctx context.Context, t *attackTally) {
			n := int(next.Add(1))
			method, path := junkRequest(e.c.seed, n)
			resp, err := e.send(ctx, nil, method, path, nil)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				t.count(answerKey(resp.StatusCode, nil), -1)
			} else if ctx.Err() == nil {
				t.count(answerKey(0, err), -1)
			}
		}
		return &attack{name: name,
			warmUp: func(ctx context.Context, t *attackTally) {
				for range junkWarmUp {
					junk(ctx, t)
				}
			},
			run: func(ctx context.Context, t *attackTally) {
				// Spread over the phase, so that the damage grows as it would.
				rate := float64(f.junk) / f.phase.Seconds()
				openLoop(ctx, rate, f.junk, 64, func(int) { junk(ctx, t) })
			}}
	}
}

// shortWordSearch is issue 10's search: ten one-letter words, which no trigram
// index can serve, with counts.
const shortWordSearch = "/support-tickets?q=a+b+c+d+e+f+g+h+i+j&countByStatus=true"

// junkWarmUp is how many made-up requests go before the metrics phase is
// measured: a server that files them all under one label (method "other",
// route "unmatched") adds that label's series once, on the first.
const junkWarmUp = 10

// junkRequest is the n-th made-up request: method Xn, a random path.
func junkRequest(seed uint64, n int) (method, path string) {
	return "X" + strconv.Itoa(n), fmt.Sprintf("/nope/%016x", mix64(seed^uint64(n)))
}

// hammer runs workers, each sending target(i)'s GET in a loop until ctx ends,
// reading every answer in full (as a browser would); who-prefixed answers are
// tallied, and a request still unanswered when the phase ends as "cut". After a 429 a worker pauses -backoff429, so a refusing server does
// not turn the tool into a CPU hog next to it (likewise after a failure).
func hammer(ctx context.Context, e *env, f abuseFlags, t *attackTally, workers int, target func(i int) (*identity.User, string, string)) {
	var wg sync.WaitGroup
	for i := range workers {
		who, label, path := target(i)
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				resp, err := e.send(ctx, who, http.MethodGet, path, nil)
				if err != nil {
					if ctx.Err() != nil {
						t.count(label+"cut", -1) // still unanswered at the end of the phase
						return
					}
					t.count(label+answerKey(0, err), time.Since(t0))
					sleepCtx(ctx, f.backoff429)
					continue
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				t.bytes.Add(n)
				if err != nil && ctx.Err() != nil {
					t.count(label+"cut", -1)
					return
				}
				t.count(label+answerKey(resp.StatusCode, err), time.Since(t0))
				if resp.StatusCode == http.StatusTooManyRequests {
					sleepCtx(ctx, f.backoff429)
				}
			}
		})
	}
	wg.Wait()
}
