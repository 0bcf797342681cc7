package scenario

import (
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

type socketsFlags struct {
	clients, admins, perAdmin int
	hold                      time.Duration
}

func socketsCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("sockets", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := socketsFlags{}
	fs.IntVar(&f.clients, "clients", 8000, "client sockets, each a distinct client")
	fs.IntVar(&f.admins, "admins", 2000, "super-admin sockets")
	fs.IntVar(&f.perAdmin, "per-admin", 20, "sockets per agent (the server allows 20)")
	fs.DurationVar(&f.hold, "hold", 20*time.Second, "how long to hold the sockets idle")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if err := c.needGoReader("sockets"); err != nil {
		return nil, nil, err
	}
	if f.clients < 0 || f.admins < 0 || f.clients+f.admins < 1 || f.perAdmin < 1 || f.perAdmin > 20 || f.hold < 0 {
		return nil, nil, fmt.Errorf("sockets: want -clients, -admins ≥ 0 (not both 0), 1 ≤ -per-admin ≤ 20, -hold ≥ 0")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runSockets(ctx, e, f) })
}

func runSockets(ctx context.Context, e *env, f socketsFlags) (*report.Report, error) {
	n := f.clients + f.admins
	if err := checkSockets(n); err != nil {
		return nil, err
	}
	r := newReport(e, "sockets")
	r.Params.Add("clients", f.clients)
	r.Params.Add("admins", f.admins)
	r.Params.Add("agents", ceilDiv(f.admins, f.perAdmin))
	r.Params.Add("hold", f.hold.String())

	// At least one client: it writes the probe ticket at the end.
	clients, err := e.mint.Users(identity.RoleClient, "sb "+e.c.run+" client", max(1, f.clients))
	if err != nil {
		return nil, err
	}
	agents, err := e.mint.Users(identity.RoleAdmin, "sb "+e.c.run+" agent", max(1, ceilDiv(f.admins, f.perAdmin)))
	if err != nil {
		return nil, err
	}
	rx := wsclient.NewReceiver(e.c.run, 0)
	socks, clientSocks, _ := population(rx, clients[:f.clients], agents, f.admins)
	assignTargets(e, socks)

	before := e.scrapeAll(ctx, "before")
	r.Server = append(r.Server, before...)
	settled := e.connectSettled(ctx, r, rx, socks, 60*time.Second)
	r.Setup.Add("settled", settled.Round(time.Millisecond).String())
	r.Setup.Add("framesWhileConnecting", rx.Frames.Load())

	held := e.scrapeAll(ctx, "held")
	r.BeginMeasure(held)
	sleepCtx(ctx, f.hold)
	end := e.scrapeAll(ctx, "end of hold")
	r.EndMeasure(end)
	open := countOpen(socks)

	// Liveness probe: every socket pings and must get its pong; one new ticket
	// (client 0's) must reach every agent socket and client 0's socket.
	var pingFailed atomic.Int64
	forEach(ctx, len(socks), 256, func(i int) {
		s := socks[i]
		if s.Conn == nil {
			return
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := s.Conn.Write(wctx, websocket.MessageText, []byte(`{"type":"ping"}`)); err != nil {
			pingFailed.Add(1)
		}
	})
	tk := createTickets(ctx, e, clients, 1)
	deadline := time.Now().Add(10 * time.Second)
	pongs := func() int64 {
		var p int64
		for _, s := range socks {
			if s.Conn != nil {
				p += s.Pongs.Load()
			}
		}
		return p
	}
	for time.Now().Before(deadline) && ctx.Err() == nil && pongs()+pingFailed.Load() < int64(open) {
		time.Sleep(50 * time.Millisecond)
	}
	var probeClient *wsclient.Socket // client 0's socket, when there are client sockets
	if len(clientSocks) > 0 {
		probeClient = clientSocks[0]
	}
	var probeDue int64
	for _, s := range socks {
		if s.Conn != nil && (s.Who.Admin() || s == probeClient) {
			probeDue += 2
		}
	}
	if tk.ids[0] == "" {
		probeDue = 0
	}
	waitSetup(ctx, rx, probeDue, 10*time.Second)
	pongsGot := pongs()

	e.ws.CloseAll(socks)
	e.rest.CloseIdleConnections()
	sleepCtx(context.Background(), 2*time.Second)
	after := e.scrapeAll(context.Background(), "2s after close")
	r.Server = append(r.Server, after...)
	fc := countFrames(rx, socks)
	r.Frames = &fc

	checkLedger(r, socks, func(s *wsclient.Socket) []int64 {
		if s.Who.Admin() || s == probeClient {
			if tk.ids[0] != "" {
				return ticketKeys(0)
			}
		}
		return nil
	}, func(k int64) bool { return tk.uncertain[k] })
	if tk.ids[0] == "" {
		r.Notes = append(r.Notes, "the probe ticket could not be created: "+report.FormatCodes(tk.codes.snapshot()))
	}

	r.Figures.Add("sockets held", fmt.Sprintf("%d of %d", open, n))
	r.Figures.Add("connect rate /s", r.Connect.Rate)
	var rssB, rssE, heapB, heapE, stackB, stackE, grB, grE, grA, openA, rssA float64
	for i := range e.targets {
		rssB += before[i].Value("process_resident_memory_bytes")
		rssE += end[i].Value("process_resident_memory_bytes")
		rssA += after[i].Value("process_resident_memory_bytes")
		heapB += before[i].Value("go_memstats_heap_inuse_bytes")
		heapE += end[i].Value("go_memstats_heap_inuse_bytes")
		stackB += before[i].Value("go_memstats_stack_inuse_bytes")
		stackE += end[i].Value("go_memstats_stack_inuse_bytes")
		grB += before[i].Value("go_goroutines")
		grE += end[i].Value("go_goroutines")
		grA += after[i].Value("go_goroutines")
		openA += after[i].Value("supportd_ws_sockets_open")
	}
	if open > 0 {
		per := func(a, b float64) float64 { return (b - a) / float64(open) / 1024 }
		r.Figures.Add("server RSS per socket KiB", per(rssB, rssE))
		r.Figures.Add("  of which heap in use KiB", per(heapB, heapE))
		r.Figures.Add("  of which goroutine stacks KiB", per(stackB, stackE))
		r.Figures.Add("server goroutines per socket", (grE-grB)/float64(open))
	}
	r.Figures.Add("server RSS before / held / after close MiB", fmt.Sprintf("%.1f / %.1f / %.1f", rssB/(1<<20), rssE/(1<<20), rssA/(1<<20)))
	r.Figures.Add("server goroutines before / held / after close", fmt.Sprintf("%.0f / %.0f / %.0f", grB, grE, grA))
	r.Figures.Add("server sockets open after close", openA)
	r.Figures.Add("pongs / pings", fmt.Sprintf("%d / %d", pongsGot, int64(open)-pingFailed.Load()))
	if pongsGot < int64(open)-pingFailed.Load() || pingFailed.Load() > 0 {
		r.Pass = false
		r.Notes = append(r.Notes, "some held sockets did not answer the ping probe")
	}
	return r.Complete(ctx)
}
