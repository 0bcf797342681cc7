package scenario

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// tickets are the tickets the tool created in its setup: ticket i belongs to
// clients[i].
type tickets struct {
	ids       []string // "" when the insert failed
	uncertain map[int64]bool
	codes     codes
	elapsed   time.Duration
}

// createTickets has each of the first n clients insert its own ticket (which also
// makes the client known to the server), titled and worded with this run's nonces.
func createTickets(ctx context.Context, e *env, clients []*identity.User, n int) *tickets {
	tk := &tickets{ids: make([]string, n), uncertain: map[int64]bool{}}
	start := time.Now()
	errs := make([]error, n)
	forEach(ctx, n, 16, func(i int) {
		title := ledger.Nonce(e.c.run, ledger.Key(ledger.KindCreated, i)) + " supportbench ticket"
		msg := ledger.Nonce(e.c.run, ledger.Key(ledger.KindFirst, i)) + " first message"
		tk.ids[i], errs[i] = e.insertTicket(ctx, clients[i], title, msg, &tk.codes)
	})
	for i, err := range errs {
		if err != nil || tk.ids[i] == "" {
			tk.ids[i] = ""
			// An insert without a clear answer may have been committed.
			tk.uncertain[ledger.Key(ledger.KindCreated, i)] = true
			tk.uncertain[ledger.Key(ledger.KindFirst, i)] = true
		}
	}
	tk.elapsed = time.Since(start)
	return tk
}

func (tk *tickets) created() []int {
	var out []int
	for i, id := range tk.ids {
		if id != "" {
			out = append(out, i)
		}
	}
	return out
}

// keys are the events of ticket i's creation.
func ticketKeys(i int) []int64 {
	return []int64{ledger.Key(ledger.KindCreated, i), ledger.Key(ledger.KindFirst, i)}
}

type fanoutFlags struct {
	clients, admins, perAdmin, tickets int
	rate                               float64
	duration                           time.Duration
	maxInFlight                        int
	window                             *window
	faults                             []faultStep
}

func fanoutCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("fanout", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := fanoutFlags{}
	fs.IntVar(&f.clients, "clients", 1000, "client sockets, each a distinct client")
	fs.IntVar(&f.admins, "admins", 10, "super-admin sockets")
	fs.IntVar(&f.perAdmin, "per-admin", 1, "super-admin sockets per agent (the server allows 20)")
	fs.IntVar(&f.tickets, "tickets", 0, "how many of the clients create a ticket that replies go to (0: all)")
	fs.Float64Var(&f.rate, "rate", 200, "replies a second (open loop), posted by the agents in turn to random tickets")
	fs.DurationVar(&f.duration, "duration", 20*time.Second, "how long to write")
	fs.IntVar(&f.maxInFlight, "max-in-flight", 1000, "writes pending at once before arrivals are skipped")
	faults := fs.String("fault", "", "POST these URLs at these offsets of the writes: 10s=URL,30s=URL (a supportbench proxy's control)")
	win := fs.String("window", "", "also report each instance's deliveries of the replies posted in FROM-TO of the writes (e.g. 10s-30s)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	w, err := parseWindow(*win)
	if err != nil {
		return nil, nil, err
	}
	f.window = w
	if f.faults, err = parseFaults(*faults); err != nil {
		return nil, nil, err
	}
	if f.clients < 1 || f.admins < 0 || f.perAdmin < 1 || f.perAdmin > 20 || f.rate <= 0 || f.duration <= 0 || f.tickets < 0 || f.tickets > f.clients {
		return nil, nil, fmt.Errorf("fanout: want -clients ≥ 1, -admins ≥ 0, 1 ≤ -per-admin ≤ 20, -rate > 0, -duration > 0, 0 ≤ -tickets ≤ -clients")
	}
	if f.tickets == 0 {
		f.tickets = f.clients
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runFanout(ctx, e, f) })
}

func runFanout(ctx context.Context, e *env, f fanoutFlags) (*report.Report, error) {
	if err := checkSockets(f.clients + f.admins); err != nil {
		return nil, err
	}
	r := newReport(e, "fanout")
	total := int(f.rate * f.duration.Seconds())
	r.Params.Add("clients", f.clients)
	r.Params.Add("admins", f.admins)
	r.Params.Add("perAdmin", f.perAdmin)
	r.Params.Add("tickets", f.tickets)
	r.Params.Add("rate", f.rate)
	r.Params.Add("duration", f.duration.String())
	r.Params.Add("writes", total)

	w, err := newWorld(e, f.clients, f.admins, f.perAdmin, total)
	if err != nil {
		return nil, err
	}
	rx, rp, agents, socks, clientSocks, adminSocks := w.rx, w.rp, w.agents, w.socks, w.clientSocks, w.adminSocks

	r.Server = append(r.Server, e.scrapeAll(ctx, "before")...)
	settled := e.connectSettled(ctx, r, rx, socks, 30*time.Second)
	r.Setup.Add("settled", settled.Round(time.Millisecond).String())
	if err := w.setup(ctx, e, r, f.tickets); err != nil {
		e.ws.CloseAll(socks)
		r.Notes = append(r.Notes, "no ticket could be created: nothing to reply to")
		r.Finish()
		return r, fmt.Errorf("fanout: %w", err)
	}
	tk := w.tk

	// The measured phase: replies at the rate, each to a random ticket.
	r.BeginMeasure(e.scrapeAll(ctx, "measure start"))
	faultsDone := runFaults(ctx, r, f.faults, r.MeasureStart())
	sent, skipped, elapsed := openLoop(ctx, f.rate, total, f.maxInFlight, func(n int) {
		rp.post(ctx, e, rx, agents[n%len(agents)], n, tk.ids[rp.ticket[n]])
	})
	openAdmins := int64(countOpen(adminSocks))
	clientOpen := make([]bool, f.clients)
	for i, s := range clientSocks {
		clientOpen[i] = s.Opened()
	}
	var want int64
	for _, n := range rp.ok {
		want += openAdmins
		if clientOpen[rp.ticket[n]] {
			want++
		}
	}
	drained := drain(ctx, e, rx, want)
	faultsDone()
	e.endAndClose(ctx, r, rx, socks)
	r.Writes = rp.stats(total, sent, skipped, f.rate, elapsed)

	// Latency: on the ticket's client socket, on one agent's socket, on all of them.
	cl := report.DistOf(latencies(clientSocks))
	r.Latency = append(r.Latency, report.LatencyRow{Name: "client socket (own ticket)", Dist: cl})
	var ad report.Dist
	if len(adminSocks) > 0 {
		r.Latency = append(r.Latency, report.LatencyRow{Name: "one agent socket", Dist: report.DistOf(latencies(adminSocks[:1]))})
		ad = report.DistOf(latencies(adminSocks))
		r.Latency = append(r.Latency, report.LatencyRow{Name: "every agent socket", Dist: ad})
	}

	r.Timeline = timeline(rx, rp, clientSocks, r.MeasureStart())
	if f.window != nil {
		byInstance(r, e, rx, socks, r.MeasureStart(), f.window)
	}

	got := rx.Replies.Load()
	span := time.Duration(rx.LastReply.Load()-r.MeasureStart().UnixNano()) * time.Nanosecond
	if rx.LastReply.Load() == 0 {
		span = 0
	}
	w.check(r, socks)

	r.Figures.Add("client socket p50 / p99 / max ms", fmt.Sprintf("%.2f / %.2f / %.2f", cl.P50, cl.P99, cl.Max))
	if ad.N > 0 {
		r.Figures.Add("agent sockets p50 / p99 / max ms", fmt.Sprintf("%.2f / %.2f / %.2f", ad.P50, ad.P99, ad.Max))
	}
	r.Figures.Add("replies sent / ok", fmt.Sprintf("%d / %d (%.1f/s)", sent, len(rp.ok), r.Writes.AchievedRate))
	r.Figures.Add("deliveries", fmt.Sprintf("%d of %d due", got, want))
	if span > 0 {
		r.Figures.Add("deliveries/s", float64(got)/span.Seconds())
	}
	r.Figures.Add("write errors", report.Failures(r.Writes.Codes))
	r.Figures.Add("drain after last write", drained.Round(time.Millisecond).String())
	r.Figures.Add("seed", e.c.seed)
	return r.Complete(ctx)
}

// timeline buckets the deliveries on some sockets by the second of the run in
// which their POST started: a stall shows as one bad second, not as a p99.
func timeline(rx *wsclient.Receiver, rp *replies, socks []*wsclient.Socket, start time.Time) []report.SecondRow {
	var buckets, posts [][]time.Duration
	sec := func(n int) int { return int(time.Duration(rx.Sent[n].Load() - start.UnixNano()).Seconds()) }
	for n, d := range rp.took {
		if i := sec(n); i >= 0 && d > 0 && rx.Sent[n].Load() != 0 {
			for len(posts) <= i {
				posts = append(posts, nil)
			}
			posts[i] = append(posts[i], d)
		}
	}
	for _, s := range socks {
		for _, x := range s.Latencies {
			t0 := rx.Sent[x.N].Load()
			sec := int(time.Duration(t0 - start.UnixNano()).Seconds())
			if sec < 0 {
				continue
			}
			for len(buckets) <= sec {
				buckets = append(buckets, nil)
			}
			buckets[sec] = append(buckets[sec], x.Took)
		}
	}
	out := make([]report.SecondRow, len(buckets))
	for i, b := range buckets {
		out[i] = report.SecondRow{Second: i, Dist: report.DistOf(b)}
		if i < len(posts) {
			p := report.DistOf(posts[i])
			out[i].PostP99, out[i].PostMax = p.P99, p.Max
		}
	}
	return out
}
