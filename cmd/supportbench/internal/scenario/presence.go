package scenario

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

type presenceFlags struct {
	agents, clients, leave int
	wait                   time.Duration
}

func presenceCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("presence", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := presenceFlags{}
	fs.IntVar(&f.agents, "agents", 5000, "agent sockets, each a distinct super admin")
	fs.IntVar(&f.clients, "clients", 10, "client sockets, each a distinct client (they watch agentsOnline)")
	fs.IntVar(&f.leave, "leave", -1, "agents that disconnect once every view converged (-1: a tenth)")
	fs.DurationVar(&f.wait, "wait", 30*time.Second, "how long each phase may take to converge")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if f.leave < 0 {
		f.leave = f.agents / 10
	}
	if f.agents < 1 || f.clients < 0 || f.leave >= f.agents || f.wait <= 0 {
		return nil, nil, errors.New("presence: want -agents ≥ 1, -clients ≥ 0, -leave < -agents, -wait > 0")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runPresence(ctx, e, f) })
}

// runPresence connects the agents (and a few clients), waits until every
// socket's view of who is online equals the truth, then disconnects the last
// -leave agents and waits again. Each socket keeps its view from whatever the
// server sends: whole lists (`presence`) or changes (`presence.changed`).
func runPresence(ctx context.Context, e *env, f presenceFlags) (*report.Report, error) {
	if err := checkSockets(f.agents + f.clients); err != nil {
		return nil, err
	}
	r := newReport(e, "presence")
	r.Params.Add("agents", f.agents)
	r.Params.Add("clients", f.clients)
	r.Params.Add("leave", f.leave)
	agents, err := e.mint.Users(identity.RoleAdmin, "sb "+e.c.run+" agent", f.agents)
	if err != nil {
		return nil, err
	}
	clients, err := e.mint.Users(identity.RoleClient, "sb "+e.c.run+" client", f.clients)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(agents))
	for i, a := range agents {
		ids[i] = a.ID
	}
	rx := wsclient.NewReceiver(e.c.run, 0)
	rx.Roster = wsclient.NewRoster(ids, f.agents-f.leave)
	socks, clientSocks, adminSocks := population(rx, clients, agents, f.agents)
	for _, s := range socks {
		s.View = &wsclient.PresenceView{}
	}
	assignTargets(e, socks)

	r.BeginMeasure(e.scrapeAll(ctx, "before"))
	start := time.Now()
	conn := e.connect(ctx, socks)
	conn.Hello = waitHello(ctx, rx, socks, f.wait)
	r.Connect = &conn
	online := int64(countOpen(adminSocks))
	tail := int64(countOpen(adminSocks[f.agents-f.leave:]))
	joined, ok1 := converge(ctx, socks, online, tail, f.wait)
	joinFrames, joinBytes := presenceTotals(adminSocks)
	r.Server = append(r.Server, e.scrapeAll(ctx, "joined")...)

	leaveStart := time.Now()
	e.ws.CloseAll(adminSocks[f.agents-f.leave:])
	rest := append(append([]*wsclient.Socket{}, adminSocks[:f.agents-f.leave]...), clientSocks...)
	left, ok2 := converge(ctx, rest, online-tail, 0, f.wait)
	e.endAndClose(ctx, r, rx, socks)

	r.Figures.Add("agents online", online)
	r.Figures.Add("connect: all open in s", conn.Elapsed.Seconds())
	r.Figures.Add("dial→hello p50 / p99 ms", fmt.Sprintf("%.1f / %.1f", conn.Hello.P50, conn.Hello.P99))
	r.Figures.Add("join: every view right after s", phase(ok1, joined.Sub(start)))
	r.Figures.Add("join: presence frames / KiB per agent socket", fmt.Sprintf("%.1f / %.1f", joinFrames/float64(online), joinBytes/float64(online)/1024))
	r.Figures.Add("leave: every view right after s", phase(ok2, left.Sub(leaveStart)))
	allFrames, allBytes := presenceTotals(adminSocks[:f.agents-f.leave])
	r.Figures.Add("whole run: presence frames / KiB per staying agent socket", fmt.Sprintf("%.1f / %.1f", allFrames/float64(max(1, online-tail)), allBytes/float64(max(1, online-tail))/1024))
	var bad int64
	for _, s := range socks {
		bad += s.View.Bad.Load()
	}
	r.Figures.Add("presence frames not understood", bad)
	// No event is sent, so no ledger: the verdict is the views.
	r.Pass = ok1 && ok2 && bad == 0
	if !r.Pass {
		r.Notes = append(r.Notes, "some socket's presence view did not converge to who is online, or a presence frame could not be read")
	}
	return r.Complete(ctx)
}

// converge waits, at most wait, until every open socket of socks sees exactly the
// online agents: agents' views hold `online` of the roster with `tail` of its tail
// (the roster's only agents are this run's, so the counts pin the set), clients'
// agentsOnline is online. It returns when that first held.
func converge(ctx context.Context, socks []*wsclient.Socket, online, tail int64, wait time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(wait)
	for {
		now := time.Now()
		if viewsRight(socks, online, tail) {
			return now, true
		}
		if now.After(deadline) || ctx.Err() != nil {
			return now, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func viewsRight(socks []*wsclient.Socket, online, tail int64) bool {
	for _, s := range socks {
		if !s.Opened() {
			continue
		}
		v := s.View
		if s.Who.Admin() {
			if v.N.Load() != online || v.Tail.Load() != tail {
				return false
			}
		} else if v.Agents.Load() != online {
			return false
		}
	}
	return true
}

// presenceTotals sums the presence frames and bytes the open socks received.
func presenceTotals(socks []*wsclient.Socket) (frames, bytes float64) {
	for _, s := range socks {
		if s.Opened() {
			frames += float64(s.View.Frames.Load())
			bytes += float64(s.View.Bytes.Load())
		}
	}
	return frames, bytes
}

func phase(ok bool, d time.Duration) string {
	if !ok {
		return fmt.Sprintf("not within %.1f", d.Seconds())
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}
