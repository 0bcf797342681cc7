package scenario

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

type slowFlags struct {
	clients, admins, perAdmin, payload int
	slow                               string
	rate                               float64
	duration, watch                    time.Duration
}

func slowCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("slow", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := slowFlags{}
	fs.IntVar(&f.clients, "clients", 990, "client sockets, each a distinct client with its own ticket")
	fs.IntVar(&f.admins, "admins", 10, "super-admin sockets")
	fs.IntVar(&f.perAdmin, "per-admin", 1, "super-admin sockets per agent (the server allows 20)")
	fs.StringVar(&f.slow, "slow", "1%", "sockets that stop reading when the writes start: a share (\"1%\") or a count; agent sockets first (every write is in their scope), then client sockets")
	fs.Float64Var(&f.rate, "rate", 50, "replies a second (open loop) to random tickets")
	fs.DurationVar(&f.duration, "duration", 20*time.Second, "how long to write")
	fs.IntVar(&f.payload, "payload", 8000, "bytes of text added to each reply, so that a socket that does not read fills its TCP buffers (the server takes 10,000)")
	fs.DurationVar(&f.watch, "watch", 200*time.Millisecond, "how often /metrics is read for supportd_ws_slow_disconnects_total")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := c.needGoReader("slow"); err != nil {
		return nil, nil, err
	}
	n := f.clients + f.admins
	k, err := parseShare(f.slow, n)
	if err != nil || f.clients < 1 || f.admins < 0 || f.perAdmin < 1 || f.perAdmin > 20 || f.rate <= 0 || f.duration <= 0 || f.payload < 0 || f.payload > 9900 || f.watch <= 0 || k >= n {
		return nil, nil, errors.New("slow: want -clients ≥ 1, -admins ≥ 0, 1 ≤ -per-admin ≤ 20, -slow a share or count below the sockets, -rate > 0, -duration > 0, 0 ≤ -payload ≤ 9900, -watch > 0")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runSlow(ctx, e, f, k) })
}

// parseShare reads "1%" (of n, rounded) or a count.
func parseShare(s string, n int) (int, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		x, err := strconv.ParseFloat(p, 64)
		if err != nil || x < 0 || x > 100 {
			return 0, fmt.Errorf("bad share %q", s)
		}
		return int(math.Round(x * float64(n) / 100)), nil
	}
	x, err := strconv.Atoi(s)
	if err != nil || x < 0 || x > n {
		return 0, fmt.Errorf("bad count %q", s)
	}
	return x, nil
}

func runSlow(ctx context.Context, e *env, f slowFlags, k int) (*report.Report, error) {
	if err := checkSockets(f.clients + f.admins); err != nil {
		return nil, err
	}
	r := newReport(e, "slow")
	total := int(f.rate * f.duration.Seconds())
	for _, p := range []report.KV{{K: "clients", V: f.clients}, {K: "admins", V: f.admins}, {K: "slow", V: k}, {K: "rate", V: f.rate},
		{K: "duration", V: f.duration.String()}, {K: "writes", V: total}, {K: "payload", V: f.payload}} {
		r.Params.Add(p.K, p.V)
	}
	w, err := newWorld(e, f.clients, f.admins, f.perAdmin, total)
	if err != nil {
		return nil, err
	}
	// Population puts the agent sockets first: the first k are the slow ones.
	w.slow = make([]bool, len(w.socks))
	var healthy, slow, healthyClients, healthyAdmins []*wsclient.Socket
	for i, s := range w.socks {
		w.slow[i] = i < k
		switch {
		case i < k:
			slow = append(slow, s)
		case s.Who.Admin():
			healthy, healthyAdmins = append(healthy, s), append(healthyAdmins, s)
		default:
			healthy, healthyClients = append(healthy, s), append(healthyClients, s)
		}
	}
	r.Server = append(r.Server, e.scrapeAll(ctx, "before")...)
	var pause atomic.Bool
	resume := make(chan struct{})
	for _, s := range slow {
		s.Pause, s.Resume = &pause, resume
	}
	e.connectSettled(ctx, r, w.rx, w.socks, 30*time.Second)
	if err := w.setup(ctx, e, r, f.clients); err != nil {
		close(resume)
		e.ws.CloseAll(w.socks)
		r.Finish()
		return r, fmt.Errorf("slow: %w", err)
	}

	// The measured phase: the slow sockets stop reading; replies at the rate.
	r.BeginMeasure(e.scrapeAll(ctx, "measure start"))
	pause.Store(true)
	start := time.Now()
	watchCtx, stopWatch := context.WithCancel(ctx)
	var cuts []time.Duration
	var wg sync.WaitGroup
	wg.Go(func() { cuts = e.watchCuts(watchCtx, start, f.watch) })
	pad := " " + strings.Repeat("x", f.payload)
	sent, skipped, elapsed := openLoop(ctx, f.rate, total, 1000, func(n int) {
		w.rp.post(ctx, e, w.rx, w.agents[n%len(w.agents)], n, w.tk.ids[w.rp.ticket[n]], pad)
	})
	var want int64
	openAdmins := int64(countOpen(healthyAdmins))
	for _, n := range w.rp.ok {
		want += openAdmins
		if w.reading(w.clientSocks[w.rp.ticket[n]]) {
			want++
		}
	}
	drain(ctx, e, w.rx, want)
	stopWatch()
	wg.Wait()
	r.EndMeasure(e.scrapeAll(ctx, "measure end"))
	// The slow sockets read again: what they had, then how the server closed them.
	close(resume)
	closes := map[string]int{}
	for _, s := range slow {
		if s.Conn == nil {
			continue
		}
		select {
		case <-s.Done:
			code := "none"
			if s.CloseCode != -1 {
				code = strconv.Itoa(int(s.CloseCode))
			}
			closes[code]++
		case <-time.After(10 * time.Second):
			closes["still open"]++
		}
	}
	e.ws.CloseAll(w.socks)
	e.rest.CloseIdleConnections()

	r.Writes = w.rp.stats(total, sent, skipped, f.rate, elapsed)
	fc := countFrames(w.rx, healthy)
	r.Frames = &fc
	cl, ad := report.DistOf(latencies(healthyClients)), report.DistOf(latencies(healthyAdmins))
	r.Latency = append(r.Latency, report.LatencyRow{Name: "healthy client sockets", Dist: cl}, report.LatencyRow{Name: "healthy agent sockets", Dist: ad})
	all := report.DistOf(latencies(healthy))
	r.Latency = append(r.Latency, report.LatencyRow{Name: "every healthy socket", Dist: all})
	w.check(r, healthy)

	r.Figures.Add("slow sockets (stop reading at the first write)", len(slow))
	r.Figures.Add("slow-consumer cuts, s after they stopped reading", fmtCuts(cuts))
	within := 0
	for _, c := range cuts {
		if c <= 10*time.Second {
			within++
		}
	}
	r.Figures.Add("slow sockets cut within 10 s", fmt.Sprintf("%d of %d", min(within, len(slow)), len(slow)))
	r.Figures.Add("slow sockets' close as read at the end", report.FormatCodes(closes))
	r.Figures.Add("healthy p50 / p99 / max ms", fmt.Sprintf("%.2f / %.2f / %.2f", all.P50, all.P99, all.Max))
	r.Figures.Add("healthy client p99 ms", cl.P99)
	r.Figures.Add("replies sent / ok", fmt.Sprintf("%d / %d (%.1f/s)", sent, len(w.rp.ok), r.Writes.AchievedRate))
	r.Figures.Add("seed", e.c.seed)
	return r.Complete(ctx)
}

// watchCuts reads /metrics of every instance each interval until ctx ends, and
// returns, for each slow-consumer cut counted since start, when it was first seen.
func (e *env) watchCuts(ctx context.Context, start time.Time, every time.Duration) []time.Duration {
	count := func() float64 {
		var n float64
		for _, s := range e.scrapeAll(ctx, "watch") {
			n += s.Value("supportd_ws_slow_disconnects_total")
		}
		return n
	}
	base := count()
	var seen []time.Duration
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return seen
		case <-tick.C:
		}
		n := int(count() - base)
		if ctx.Err() != nil {
			return seen
		}
		seen = cutTimes(seen, n, time.Since(start))
	}
}

// cutTimes extends seen (one entry per cut so far) to n entries stamped at.
func cutTimes(seen []time.Duration, n int, at time.Duration) []time.Duration {
	for len(seen) < n {
		seen = append(seen, at)
	}
	return seen
}

func fmtCuts(cuts []time.Duration) string {
	if len(cuts) == 0 {
		return "none"
	}
	parts := make([]string, len(cuts))
	for i, c := range cuts {
		parts[i] = strconv.FormatFloat(c.Seconds(), 'f', 1, 64)
	}
	return strings.Join(parts, " ")
}
