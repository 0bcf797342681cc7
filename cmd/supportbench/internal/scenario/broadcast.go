package scenario

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

type broadcastFlags struct {
	admins, perAdmin, events int
	interval                 time.Duration
}

func broadcastCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("broadcast", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := broadcastFlags{}
	fs.IntVar(&f.admins, "admins", 10000, "super-admin sockets")
	fs.IntVar(&f.perAdmin, "per-admin", 20, "sockets per agent (the server allows 20): -admins/-per-admin agents")
	fs.IntVar(&f.events, "events", 20, "events to broadcast (one reply each)")
	fs.DurationVar(&f.interval, "interval", time.Second, "time between events")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if f.admins < 1 || f.perAdmin < 1 || f.perAdmin > 20 || f.events < 1 || f.interval <= 0 {
		return nil, nil, fmt.Errorf("broadcast: want -admins ≥ 1, 1 ≤ -per-admin ≤ 20, -events ≥ 1, -interval > 0")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runBroadcast(ctx, e, f) })
}

func runBroadcast(ctx context.Context, e *env, f broadcastFlags) (*report.Report, error) {
	if err := checkSockets(f.admins); err != nil {
		return nil, err
	}
	r := newReport(e, "broadcast")
	nAgents := ceilDiv(f.admins, f.perAdmin)
	r.Params.Add("admins", f.admins)
	r.Params.Add("agents", nAgents)
	r.Params.Add("events", f.events)
	r.Params.Add("interval", f.interval.String())

	client, err := e.mint.Users(identity.RoleClient, "sb "+e.c.run+" client", 1)
	if err != nil {
		return nil, err
	}
	agents, err := e.mint.Users(identity.RoleAdmin, "sb "+e.c.run+" agent", nAgents)
	if err != nil {
		return nil, err
	}
	rx := wsclient.NewReceiver(e.c.run, f.events)
	socks, _, _ := population(rx, nil, agents, f.admins)
	assignTargets(e, socks)

	r.Server = append(r.Server, e.scrapeAll(ctx, "before")...)
	settled := e.connectSettled(ctx, r, rx, socks, 60*time.Second)
	presenceFrames := rx.Frames.Load() - rx.Hellos.Load()

	tk := createTickets(ctx, e, client, 1)
	setupDue := 2 * int64(countOpen(socks))
	setupWait := waitSetup(ctx, rx, setupDue, e.c.settle)
	r.Setup.Add("settled", settled.Round(time.Millisecond).String())
	r.Setup.Add("framesBeforeSetup", presenceFrames)
	r.Setup.Add("ticket", report.FormatCodes(tk.codes.snapshot()))
	r.Setup.Add("setupEventsDelivered", fmt.Sprintf("%d of %d in %s", rx.Setup.Load(), setupDue, setupWait.Round(time.Millisecond)))
	if tk.ids[0] == "" {
		e.ws.CloseAll(socks)
		r.Finish()
		return r, fmt.Errorf("broadcast: the ticket could not be created (%s)", report.FormatCodes(tk.codes.snapshot()))
	}

	rp := newReplies(f.events)
	r.BeginMeasure(e.scrapeAll(ctx, "measure start"))
	sent, skipped, elapsed := openLoop(ctx, 1/f.interval.Seconds(), f.events, f.events, func(n int) {
		rp.post(ctx, e, rx, agents[n%len(agents)], n, tk.ids[0])
	})
	open := countOpen(socks)
	want := int64(len(rp.ok) * open)
	drained := drain(ctx, e, rx, want)
	e.endAndClose(ctx, r, rx, socks)
	r.Writes = rp.stats(f.events, sent, skipped, 1/f.interval.Seconds(), elapsed)

	all := report.DistOf(latencies(socks))
	r.Latency = append(r.Latency, report.LatencyRow{Name: "every (socket, event) pair", Dist: all})
	// Per event: the first and the last socket to get it.
	first := make([]time.Duration, f.events)
	last := make([]time.Duration, f.events)
	count := make([]int, f.events)
	for _, s := range socks {
		for _, x := range s.Latencies {
			n := int(x.N)
			if count[n] == 0 || x.Took < first[n] {
				first[n] = x.Took
			}
			last[n] = max(last[n], x.Took)
			count[n]++
		}
	}
	var firsts, lasts []time.Duration
	complete := 0
	for n := range f.events {
		if count[n] > 0 {
			firsts, lasts = append(firsts, first[n]), append(lasts, last[n])
		}
		if count[n] == open {
			complete++
		}
	}
	for n := range f.events {
		row := report.EventRow{N: n, Sockets: count[n], PostMs: report.Millis(rp.took[n]), FirstMs: report.Millis(first[n]), LastMs: report.Millis(last[n])}
		if t0 := rx.Sent[n].Load(); t0 != 0 {
			row.At = time.Unix(0, t0).UTC().Format("15:04:05.000")
		}
		r.Events = append(r.Events, row)
	}
	lastDist := report.DistOf(slices.Clone(lasts))
	r.Latency = append(r.Latency, report.LatencyRow{Name: "first socket, per event", Dist: report.DistOf(firsts)})
	r.Latency = append(r.Latency, report.LatencyRow{Name: "last socket, per event", Dist: lastDist})

	var okKeys []int64
	for _, n := range rp.ok {
		okKeys = append(okKeys, ledger.Key(ledger.KindReply, n))
	}
	expect := append(ticketKeys(0), okKeys...)
	checkLedger(r, socks, func(*wsclient.Socket) []int64 { return expect }, func(k int64) bool { return rp.maybe(k) || tk.uncertain[k] })

	r.Figures.Add("pairs p50 / p99 / max ms", fmt.Sprintf("%.2f / %.2f / %.2f", all.P50, all.P99, all.Max))
	r.Figures.Add("last socket per event p50 / max ms", fmt.Sprintf("%.2f / %.2f", lastDist.P50, lastDist.Max))
	r.Figures.Add("sockets open", open)
	r.Figures.Add("events ok / reaching every socket", fmt.Sprintf("%d / %d", len(rp.ok), complete))
	r.Figures.Add("deliveries", fmt.Sprintf("%d of %d due", rx.Replies.Load(), want))
	r.Figures.Add("write errors", report.Failures(r.Writes.Codes))
	r.Figures.Add("drain after last event", drained.Round(time.Millisecond).String())
	return r.Complete(ctx)
}
