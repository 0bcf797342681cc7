package scenario

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

type stormFlags struct {
	clients, admins, perAdmin, writes, conc int
	rate, stormRate                         float64
	spread, tail                            time.Duration
}

func stormCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("storm", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := stormFlags{}
	fs.IntVar(&f.clients, "clients", 4500, "client sockets, each a distinct client with its own ticket")
	fs.IntVar(&f.admins, "admins", 500, "super-admin sockets")
	fs.IntVar(&f.perAdmin, "per-admin", 1, "super-admin sockets per agent (the server allows 20)")
	fs.IntVar(&f.writes, "writes", 200, "replies before the storm, so that sockets have a lastEventId")
	fs.Float64Var(&f.rate, "rate", 100, "replies a second before the storm")
	fs.Float64Var(&f.stormRate, "storm-rate", 20, "replies a second during the storm (they go on for -spread + -tail)")
	fs.DurationVar(&f.spread, "spread", 2*time.Second, "every socket drops and reconnects within this window")
	fs.DurationVar(&f.tail, "tail", 3*time.Second, "writes go on this long after the last reconnect")
	fs.IntVar(&f.conc, "storm-concurrency", 1000, "reconnects in flight at once")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := c.needGoReader("storm"); err != nil {
		return nil, nil, err
	}
	if f.clients < 1 || f.admins < 0 || f.perAdmin < 1 || f.perAdmin > 20 || f.writes < 1 || f.rate <= 0 || f.stormRate < 0 || f.spread < 0 || f.tail < 0 || f.conc < 1 {
		return nil, nil, errors.New("storm: want -clients ≥ 1, -admins ≥ 0, 1 ≤ -per-admin ≤ 20, -writes ≥ 1, -rate > 0, -storm-rate ≥ 0, -spread, -tail ≥ 0, -storm-concurrency ≥ 1")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runStorm(ctx, e, f) })
}

// drop is one socket's drop and reconnect.
type drop struct {
	lastID     int64     // the newest event id it saw before the drop: ?lastEventId
	gotN, latN int       // len(s.got), len(s.lat) at the drop
	at         time.Time // reconnect dial start; zero: not dropped
	failed     string    // why the reconnect failed; "" when it opened
}

func runStorm(ctx context.Context, e *env, f stormFlags) (*report.Report, error) {
	if err := checkSockets(f.clients + f.admins); err != nil {
		return nil, err
	}
	r := newReport(e, "storm")
	stormWrites := int(f.stormRate * (f.spread + f.tail).Seconds())
	total := f.writes + stormWrites
	for _, p := range []report.KV{{K: "clients", V: f.clients}, {K: "admins", V: f.admins}, {K: "writes", V: f.writes}, {K: "rate", V: f.rate},
		{K: "stormRate", V: f.stormRate}, {K: "stormWrites", V: stormWrites}, {K: "spread", V: f.spread.String()}, {K: "tail", V: f.tail.String()}} {
		r.Params.Add(p.K, p.V)
	}
	w, err := newWorld(e, f.clients, f.admins, f.perAdmin, total)
	if err != nil {
		return nil, err
	}
	r.Server = append(r.Server, e.scrapeAll(ctx, "before")...)
	e.connectSettled(ctx, r, w.rx, w.socks, 60*time.Second)
	if err := w.setup(ctx, e, r, f.clients); err != nil {
		e.ws.CloseAll(w.socks)
		r.Finish()
		return r, fmt.Errorf("storm: %w", err)
	}
	fire := func(n int) { w.rp.post(ctx, e, w.rx, w.agents[n%len(w.agents)], n, w.tk.ids[w.rp.ticket[n]]) }
	openLoop(ctx, f.rate, f.writes, 1000, fire)
	settle(ctx, w.rx, 500*time.Millisecond, e.c.drain)

	// The storm: every socket drops (no close frame, like a network cut) and
	// reconnects from the last event id it saw, while writes go on.
	r.BeginMeasure(e.scrapeAll(ctx, "storm start"))
	stormStart := time.Now()
	var wg sync.WaitGroup
	wg.Go(func() {
		openLoop(ctx, f.stormRate, stormWrites, 1000, func(n int) { fire(f.writes + n) })
	})
	drops := e.storm(ctx, w.socks, f.spread, f.conc)
	wg.Wait()
	deadline := time.Now().Add(e.c.drain)
	for time.Now().Before(deadline) && ctx.Err() == nil && helloCount(w.socks, drops) < reopened(drops) {
		time.Sleep(20 * time.Millisecond)
	}
	settle(ctx, w.rx, time.Second, max(0, time.Until(deadline)))
	r.EndMeasure(e.scrapeAll(ctx, "storm end"))
	r.Figures.Add("sockets ended by the server after reconnecting, by error", report.FormatCodes(endedBy(w.socks)))
	e.ws.CloseAll(w.socks)
	e.rest.CloseIdleConnections()

	r.Writes = w.rp.stats(total, len(w.rp.posts), 0, f.rate, 0)
	fc := countFrames(w.rx, w.socks)
	r.Frames = &fc
	st := stormResult(w, drops, stormStart)
	r.Latency = append(r.Latency, report.LatencyRow{Name: "reconnect → hello", Dist: report.DistOf(st.hello)}, report.LatencyRow{Name: "reconnect → replayed", Dist: report.DistOf(st.replayed)})
	w.check(r, w.socks)

	r.Figures.Add("sockets dropped / back / replayed", fmt.Sprintf("%d / %d / %d", st.dropped, len(st.hello), len(st.replayed)))
	r.Figures.Add("reconnects failed", report.FormatCodes(st.failed))
	h, p := report.DistOf(st.hello), report.DistOf(st.replayed)
	r.Figures.Add("reconnect → hello p50 / p99 / max ms", fmt.Sprintf("%.1f / %.1f / %.1f", h.P50, h.P99, h.Max))
	r.Figures.Add("reconnect → replayed p50 / p99 / max ms", fmt.Sprintf("%.1f / %.1f / %.1f", p.P50, p.P99, p.Max))
	r.Figures.Add("events to replay (writes missed while away)", st.toReplay)
	r.Figures.Add("all back and replayed, s after the first drop", st.allBack.Seconds())
	r.Figures.Add("bar: all back and replayed ≤ 5 s, ledger clean", st.dropped == len(st.replayed) && st.allBack <= 5*time.Second && r.Ledger.Clean())
	r.Figures.Add("seed", e.c.seed)
	r.Notes = append(r.Notes, "replayed: the socket has received every reply in its scope whose POST was answered 2xx before its reconnect began and that it had not received before the drop; with none, replayed at hello")
	return r.Complete(ctx)
}

// storm drops and reconnects every open socket, socket i at spread·i/n.
func (e *env) storm(ctx context.Context, socks []*wsclient.Socket, spread time.Duration, conc int) []drop {
	drops := make([]drop, len(socks))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	start := time.Now()
	for i, s := range socks {
		if s.Conn == nil || ctx.Err() != nil {
			continue
		}
		sleepCtx(ctx, time.Until(start.Add(spread*time.Duration(i)/time.Duration(len(socks)))))
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			drops[i] = e.redial(ctx, s)
		})
	}
	wg.Wait()
	return drops
}

// redial cuts s, waits for its reader, and opens it again with ?lastEventId=.
// The socket keeps what it received: the ledger sees both connections as one.
func (e *env) redial(ctx context.Context, s *wsclient.Socket) drop {
	s.Cut()
	d := drop{gotN: len(s.Got), latN: len(s.Latencies)}
	for _, g := range s.Got {
		d.lastID = max(d.lastID, g.ID)
	}
	query := ""
	if d.lastID > 0 {
		query = "?lastEventId=" + strconv.FormatInt(d.lastID, 10)
	}
	d.at = time.Now()
	if err := e.ws.Reopen(ctx, s, query); err != nil {
		d.failed = "net"
		if he := (*wsclient.HandshakeError)(nil); errors.As(err, &he) {
			d.failed = strconv.Itoa(he.Status)
		}
	}
	return d
}

// endedBy counts the sockets whose reader has ended, by its error.
func endedBy(socks []*wsclient.Socket) map[string]int {
	out := map[string]int{}
	for _, s := range socks {
		if s.Done == nil {
			continue
		}
		select {
		case <-s.Done:
			msg := "?"
			if s.Err != nil {
				msg = s.Err.Error()
				if len(msg) > 80 {
					msg = msg[:80]
				}
			}
			out[msg]++
		default:
		}
	}
	return out
}

func reopened(drops []drop) int {
	n := 0
	for _, d := range drops {
		if !d.at.IsZero() && d.failed == "" {
			n++
		}
	}
	return n
}

func helloCount(socks []*wsclient.Socket, drops []drop) int {
	n := 0
	for i, s := range socks {
		if !drops[i].at.IsZero() && drops[i].failed == "" && s.HelloAt.Load() != 0 {
			n++
		}
	}
	return n
}

type stormStats struct {
	dropped, toReplay int
	failed            map[string]int
	hello, replayed   []time.Duration
	allBack           time.Duration // first drop → the last socket replayed
}

// stormResult reads every socket after its readers ended.
func stormResult(w *world, drops []drop, start time.Time) stormStats {
	st := stormStats{failed: map[string]int{}}
	end := map[int]time.Time{} // reply n → when its POST was answered
	for _, n := range w.rp.ok {
		end[n] = time.Unix(0, w.rx.Sent[n].Load()).Add(w.rp.took[n])
	}
	for i, s := range w.socks {
		d := drops[i]
		if d.at.IsZero() {
			continue
		}
		st.dropped++
		if d.failed != "" {
			st.failed[d.failed]++
			continue
		}
		if s.HelloAt.Load() == 0 {
			continue
		}
		hello := time.Unix(0, s.HelloAt.Load())
		st.hello = append(st.hello, hello.Sub(d.at))
		before := map[int64]bool{}
		for _, g := range s.Got[:d.gotN] {
			before[g.Key] = true
		}
		var due []int
		for _, n := range w.rp.ok {
			t := w.rp.ticket[n]
			inScope := s.Who.Admin() || int(t) == s.Index-len(w.adminSocks)
			if inScope && end[n].Before(d.at) && !before[ledger.Key(ledger.KindReply, n)] {
				due = append(due, n)
			}
		}
		st.toReplay += len(due)
		got := map[int]time.Time{}
		for _, x := range s.Latencies[d.latN:] {
			got[int(x.N)] = time.Unix(0, w.rx.Sent[x.N].Load()).Add(x.Took)
		}
		if at, ok := replayedAt(due, got, hello); ok {
			st.replayed = append(st.replayed, at.Sub(d.at))
			st.allBack = max(st.allBack, at.Sub(start))
		}
	}
	return st
}

// replayedAt is when a reconnected socket has every reply it was due (received at
// got[n]); with none due, at its hello. ok is false when one never arrived.
func replayedAt(due []int, got map[int]time.Time, hello time.Time) (time.Time, bool) {
	at := hello
	for _, n := range due {
		t, ok := got[n]
		if !ok {
			return time.Time{}, false
		}
		if t.After(at) {
			at = t
		}
	}
	return at, true
}
