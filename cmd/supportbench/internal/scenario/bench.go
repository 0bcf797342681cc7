package scenario

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// population makes the sockets of a run: one per client (each a distinct client),
// then adminSockets spread over the agents. Agents' sockets come first and take
// the agents in turn, so every agent is online after the first len(admins)
// sockets and presence stops changing early.
func population(rx *wsclient.Receiver, clients, admins []*identity.User, adminSockets int) (all, clientSocks, adminSocks []*wsclient.Socket) {
	for j := range adminSockets {
		adminSocks = append(adminSocks, &wsclient.Socket{Who: admins[j%len(admins)], RX: rx})
	}
	for _, c := range clients {
		clientSocks = append(clientSocks, &wsclient.Socket{Who: c, RX: rx})
	}
	all = append(append(all, adminSocks...), clientSocks...)
	for i, s := range all {
		s.Index = i
		s.CloseCode = -1
	}
	return all, clientSocks, adminSocks
}

func assignTargets(e *env, socks []*wsclient.Socket) {
	for i, s := range socks {
		s.Target = e.target(i)
	}
}

func countOpen(socks []*wsclient.Socket) int {
	n := 0
	for _, s := range socks {
		if s.Opened() {
			n++
		}
	}
	return n
}

// openLoop calls fire(seq) for seq in [0, total) at rate per second, paced by a
// ticker from the start, each call in its own goroutine: an open loop, so a slow
// server does not slow the arrivals. When maxInFlight calls are pending, the
// arrival is skipped and counted. It returns when every call has returned.
func openLoop(ctx context.Context, rate float64, total, maxInFlight int, fire func(seq int)) (sent, skipped int, elapsed time.Duration) {
	if total <= 0 || rate <= 0 {
		return 0, 0, 0
	}
	interval := time.Duration(float64(time.Second) / rate)
	interval = min(max(interval, time.Millisecond), time.Second)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var wg sync.WaitGroup
	var inFlight atomic.Int64
	start := time.Now()
	seq := 0
	for seq < total && ctx.Err() == nil {
		due := min(total, int(time.Since(start).Seconds()*rate)+1)
		for ; seq < due; seq++ {
			if inFlight.Load() >= int64(maxInFlight) {
				skipped++
				continue
			}
			inFlight.Add(1)
			sent++
			n := seq
			wg.Go(func() {
				defer inFlight.Add(-1)
				fire(n)
			})
		}
		if seq < total {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
	}
	elapsed = time.Since(start)
	wg.Wait()
	return sent, skipped, elapsed
}

// replies records what the tool's replies did: which succeeded, which have no
// clear outcome, and how long each POST took.
type replies struct {
	ticket    []int32         // reply n went to ticket ticket[n]
	took      []time.Duration // reply n's POST round trip
	mu        sync.Mutex
	ok        []int
	uncertain map[int64]bool
	posts     []time.Duration
	codes     codes
}

func newReplies(total int) *replies {
	return &replies{ticket: make([]int32, total), took: make([]time.Duration, total), uncertain: map[int64]bool{}}
}

// post sends reply n as who to ticket id, stamping its start for the receivers; pad
// (if any) is appended to the message to make frames as large as a scenario needs.
func (rp *replies) post(ctx context.Context, e *env, rx *wsclient.Receiver, who *identity.User, n int, ticketID string, pad ...string) {
	msg := ledger.Nonce(e.c.run, ledger.Key(ledger.KindReply, n)) + " reply from supportbench" + strings.Join(pad, "")
	t0 := time.Now()
	rx.Sent[n].Store(t0.UnixNano())
	status, err := e.reply(ctx, who, ticketID, msg)
	d := time.Since(t0)
	rp.codes.add(status, err)
	rp.mu.Lock()
	defer rp.mu.Unlock()
	rp.posts = append(rp.posts, d)
	rp.took[n] = d
	switch {
	case err != nil || status >= 500:
		rp.uncertain[ledger.Key(ledger.KindReply, n)] = true // may have been committed
	case status/100 == 2:
		rp.ok = append(rp.ok, n)
	}
}

func (rp *replies) maybe(k int64) bool { return rp.uncertain[k] }

func (rp *replies) stats(planned, sent, skipped int, rate float64, elapsed time.Duration) *report.WriteStats {
	ws := &report.WriteStats{Planned: planned, Sent: sent, Skipped: skipped, Codes: rp.codes.snapshot(),
		TargetRate: rate, ElapsedS: elapsed.Seconds(), Post: report.DistOf(rp.posts)}
	// The first arrival is at 0 and the last at about elapsed: sent-1 intervals.
	if elapsed > 0 && sent > 1 {
		ws.AchievedRate = float64(sent-1) / elapsed.Seconds()
	}
	return ws
}

// drain waits until want deliveries of replies arrived, then a little more for
// stray duplicates, at most e.c.drain in all.
func drain(ctx context.Context, e *env, rx *wsclient.Receiver, want int64) time.Duration {
	start := time.Now()
	for rx.Replies.Load() < want && time.Since(start) < e.c.drain && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if rx.Replies.Load() >= want {
		time.Sleep(min(300*time.Millisecond, e.c.drain))
	}
	return time.Since(start)
}

// checkLedger runs the ledger over every open socket; expect returns a socket's
// expected keys.
func checkLedger(r *report.Report, socks []*wsclient.Socket, expect func(s *wsclient.Socket) []int64, maybe func(int64) bool) {
	for _, s := range socks {
		if !s.Opened() {
			continue
		}
		t := ledger.Check(expect(s), maybe, s.Got)
		r.Ledger.Add(t)
		if !t.Clean() && len(r.Problems) < 10 {
			r.Problems = append(r.Problems, fmt.Sprintf("socket %d (%s %s): %s", s.Index, s.Who.Role, s.Who.ID, t))
		}
	}
	r.Pass = r.Ledger.Clean()
}

// latencies gathers the reply delivery times of some sockets.
func latencies(socks []*wsclient.Socket) []time.Duration {
	var out []time.Duration
	for _, s := range socks {
		for _, x := range s.Latencies {
			out = append(out, x.Took)
		}
	}
	return out
}

// sleepCtx sleeps d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// bounded runs a scenario on a new env within -max-time: whatever happens, it stops
// by itself (the scenarios stop well before).
func bounded(ctx context.Context, c *Common, run func(context.Context, *env) (*report.Report, error)) (*report.Report, *Common, error) {
	e, err := newEnv(c, c.maxTime+10*time.Minute)
	if err != nil {
		return nil, nil, err
	}
	defer e.close()
	ctx, cancel := context.WithTimeout(ctx, c.maxTime)
	defer cancel()
	r, err := run(ctx, e)
	return r, c, err
}
