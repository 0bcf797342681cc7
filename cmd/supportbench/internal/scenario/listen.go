package scenario

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// listen is the second process of a run that one process cannot hold: it opens
// sockets for the clients of another process's run (the same -run mints the same
// people), listens while that process writes, and checks every socket against the
// server's event log, which it reads back at the end through a replay. No event it
// checks has to be caused by this process, so any number of listen processes can
// stand next to one writer, on any of the instances.

type listenFlags struct {
	clients, admins, perAdmin int
	duration, idle            time.Duration
}

func listenCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("listen", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := listenFlags{}
	fs.IntVar(&f.clients, "clients", 1000, "client sockets: one for each of clients 0… of -run (the clients whose tickets a process started with the same -run writes to)")
	fs.IntVar(&f.admins, "admins", 100, `super-admin sockets, over agents of this process ("sb <run> listener <i>")`)
	fs.IntVar(&f.perAdmin, "per-admin", 20, "sockets per agent (the server allows 20)")
	fs.DurationVar(&f.duration, "duration", 2*time.Minute, "listen at most this long")
	fs.DurationVar(&f.idle, "idle", 10*time.Second, "stop before -duration once events have arrived and none came for this long (0: listen for the whole -duration)")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if f.clients < 0 || f.admins < 0 || f.clients+f.admins < 1 || f.perAdmin < 1 || f.perAdmin > 20 || f.duration <= 0 || f.idle < 0 {
		return nil, nil, errors.New("listen: want -clients, -admins ≥ 0 (not both 0), 1 ≤ -per-admin ≤ 20, -duration > 0, -idle ≥ 0")
	}
	if f.clients > 0 && c.run == "" {
		return nil, nil, errors.New("listen: -run is needed with -clients: the run id of the process that writes to those clients' tickets")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runListen(ctx, e, f) })
}

func runListen(ctx context.Context, e *env, f listenFlags) (*report.Report, error) {
	n := f.clients + f.admins
	if err := checkSockets(n + 1); err != nil {
		return nil, err
	}
	r := newReport(e, "listen")
	r.LatencyFrom = `the event's "at"`
	r.ForeignAre = "before the socket's hello, after the log's end or of a deleted ticket"
	r.Params.Add("clients", f.clients)
	r.Params.Add("admins", f.admins)
	r.Params.Add("agents", ceilDiv(f.admins, f.perAdmin))
	r.Params.Add("duration", f.duration.String())
	r.Params.Add("idle", f.idle.String())

	clients, err := e.mint.Users(identity.RoleClient, "sb "+e.c.run+" client", f.clients)
	if err != nil {
		return nil, err
	}
	agents, err := e.mint.Users(identity.RoleAdmin, "sb "+e.c.run+" listener", max(1, ceilDiv(f.admins, f.perAdmin)))
	if err != nil {
		return nil, err
	}
	// The log is read by an agent of its own: the others may be at the server's
	// 20 sockets per caller.
	reader, err := e.mint.User(identity.RoleAdmin, "sb "+e.c.run+" listener log")
	if err != nil {
		return nil, err
	}
	rx := wsclient.NewReceiver(e.c.run, 0)
	rx.Stamp = true
	socks, _, _ := population(rx, clients, agents, f.admins)
	assignTargets(e, socks)

	r.Server = append(r.Server, e.scrapeAll(ctx, "before")...)
	settled := e.connectSettled(ctx, r, rx, socks, 60*time.Second)
	r.Setup.Add("settled", settled.Round(time.Millisecond).String())

	r.BeginMeasure(e.scrapeAll(ctx, "listening"))
	listened, why := listenUntil(ctx, rx, f.duration, f.idle)
	r.EndMeasure(e.scrapeAll(ctx, "end"))

	from := int64(-1)
	for _, s := range socks {
		if s.Opened() && s.HelloAt.Load() != 0 && (from < 0 || s.HelloLast < from) {
			from = s.HelloLast
		}
	}
	if from < 0 {
		e.ws.CloseAll(socks)
		r.Notes = append(r.Notes, "no socket got its hello: nothing to check")
		return r.Complete(ctx)
	}
	// The log is read while the sockets are still open, then they are given time
	// for what was already committed: every event the log holds was committed
	// before its replay began, so it is due on every socket in its scope.
	lg, logErr := e.readLog(ctx, reader, from)
	drained := settle(ctx, rx, time.Second, e.c.drain)
	r.Setup.Add("drainAfterLog", drained.Round(time.Millisecond).String())
	e.ws.CloseAll(socks)
	fc := countFrames(rx, socks)
	r.Frames = &fc
	if logErr != nil {
		r.Notes = append(r.Notes, "reading the event log back failed: "+logErr.Error())
		r.Pass = false
		return r.Complete(ctx)
	}
	owners, unknown := e.ticketOwners(ctx, reader, lg)

	var all, ofClients, ofAgents []time.Duration
	byType := map[string][]time.Duration{}
	for _, s := range socks {
		if !s.Opened() {
			continue
		}
		t := ledger.CheckLog(lg, owners, ledger.Scope{Admin: s.Who.Admin(), Client: s.Who.ID}, s.HelloLast, s.Got)
		r.Ledger.Add(t)
		if !t.Clean() && len(r.Problems) < 10 {
			r.Problems = append(r.Problems, fmt.Sprintf("socket %d (%s %s, hello lastEventId %d): %s", s.Index, s.Who.Role, s.Who.ID, s.HelloLast, t))
		}
		for i, g := range s.Got {
			ev, ok := lg.ByID[g.ID]
			if !ok || g.ID <= s.HelloLast || i >= len(s.Arrived) {
				continue
			}
			d := time.Duration(s.Arrived[i] - ev.At.UnixNano())
			all = append(all, d)
			byType[ev.Type] = append(byType[ev.Type], d)
			if s.Who.Admin() {
				ofAgents = append(ofAgents, d)
			} else {
				ofClients = append(ofClients, d)
			}
		}
	}
	r.Pass = r.Ledger.Clean()
	r.Latency = []report.LatencyRow{
		{Name: "every (socket, event) pair", Dist: report.DistOf(all)},
		{Name: "client sockets", Dist: report.DistOf(ofClients)},
		{Name: "agent sockets", Dist: report.DistOf(ofAgents)},
	}
	for _, typ := range []string{"ticket.created", "thread.added", "counts", "ticket.status", "ticket.updated", "threads.seen", "ticket.deleted"} {
		if ds := byType[typ]; len(ds) > 0 {
			r.Latency = append(r.Latency, report.LatencyRow{Name: typ, Dist: report.DistOf(ds)})
		}
	}
	r.Figures.Add("sockets open", countOpen(socks))
	r.Figures.Add("listened", fmt.Sprintf("%s (%s)", listened.Round(time.Millisecond), why))
	r.Figures.Add("log window (ids)", fmt.Sprintf("%d … %d: %d events", from+1, lg.Last, len(lg.Events)))
	r.Figures.Add("tickets of unknown client", unknown)
	r.Figures.Add("deliveries checked", len(all))
	if listened > 0 {
		r.Figures.Add("deliveries/s", float64(len(all))/listened.Seconds())
	}
	r.Notes = append(r.Notes, `latency is from the event's "at" (the write's time, in milliseconds, taken before its commit) to the frame's arrival`)
	return r.Complete(ctx)
}

// listenUntil waits until max has passed, or until events have arrived and none
// came for idle (when idle > 0). It returns how long it listened and why it stopped.
func listenUntil(ctx context.Context, rx *wsclient.Receiver, maxWait, idle time.Duration) (time.Duration, string) {
	start := time.Now()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if time.Since(start) >= maxWait {
			return time.Since(start), "-duration"
		}
		if last := rx.LastEvent.Load(); idle > 0 && last != 0 && time.Since(time.Unix(0, last)) >= idle {
			return time.Since(start), "idle"
		}
		select {
		case <-ctx.Done():
			return time.Since(start), "interrupted"
		case <-tick.C:
		}
	}
}

// logWait bounds reading the log back: a replay of tens of thousands of events
// takes well under a second.
const logWait = 60 * time.Second

// readLog reads every event after from through an agent's replay: an agent's
// scope is the whole log. It stops at hello's lastEventId, the newest id when it
// connected.
func (e *env) readLog(ctx context.Context, who *identity.User, from int64) (*ledger.Log, error) {
	ctx, cancel := context.WithTimeout(ctx, logWait)
	defer cancel()
	s := &wsclient.Socket{Who: who}
	if err := e.ws.Dial(ctx, s, "?lastEventId="+strconv.FormatInt(from, 10)); err != nil {
		return nil, err
	}
	conn := s.Conn
	defer conn.CloseNow()
	lg := &ledger.Log{From: from, Last: -1, ByID: map[int64]ledger.Event{}}
	complete := func() bool {
		n := len(lg.Events)
		return lg.Last >= 0 && (lg.Last <= from || n > 0 && lg.Events[n-1].ID >= lg.Last)
	}
	for !complete() {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("after %d events: %w", len(lg.Events), err)
		}
		var m struct {
			Type     string    `json:"type"`
			ID       string    `json:"id"`
			TicketID string    `json:"ticketId"`
			At       time.Time `json:"at"`
			Data     struct {
				Client struct {
					ID string `json:"_id"`
				} `json:"client"`
				LastEventID string `json:"lastEventId"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("a frame of the replay: %w", err)
		}
		switch {
		case m.Type == "hello":
			if lg.Last, err = strconv.ParseInt(m.Data.LastEventID, 10, 64); err != nil {
				return nil, fmt.Errorf("hello's lastEventId %q", m.Data.LastEventID)
			}
		case m.Type == "reset":
			return nil, fmt.Errorf("the server no longer keeps the events after %d (reset)", from)
		case m.ID != "":
			id, err := strconv.ParseInt(m.ID, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("event id %q", m.ID)
			}
			if n := len(lg.Events); n > 0 && id <= lg.Events[n-1].ID {
				return nil, fmt.Errorf("the replay went from id %d to %d", lg.Events[n-1].ID, id)
			}
			ev := ledger.Event{ID: id, Type: m.Type, Ticket: m.TicketID, Client: m.Data.Client.ID, At: m.At}
			lg.Events = append(lg.Events, ev)
			lg.ByID[id] = ev
		}
	}
	_ = conn.Close(websocket.StatusNormalClosure, "")
	return lg, nil
}

// ticketOwners maps every ticket of the log to its client: from the payloads that
// name it, else from the ticket itself over REST. Tickets that are gone (deleted)
// stay unknown; it returns how many.
func (e *env) ticketOwners(ctx context.Context, who *identity.User, lg *ledger.Log) (map[string]string, int) {
	owners := map[string]string{}
	for _, ev := range lg.Events {
		if ev.Client != "" {
			owners[ev.Ticket] = ev.Client
		}
	}
	var ask []string
	for _, ev := range lg.Events {
		if _, ok := owners[ev.Ticket]; !ok {
			owners[ev.Ticket] = ""
			ask = append(ask, ev.Ticket)
		}
	}
	got := make([]string, len(ask))
	forEach(ctx, len(ask), 16, func(i int) {
		status, b, err := e.call(ctx, 0, who, http.MethodGet, "/support-tickets/"+ask[i], nil)
		if err != nil || status != http.StatusOK {
			return
		}
		var m struct {
			Data struct {
				Client struct {
					ID string `json:"_id"`
				} `json:"client"`
			} `json:"data"`
		}
		if json.Unmarshal(b, &m) == nil {
			got[i] = m.Data.Client.ID
		}
	})
	unknown := 0
	for i, t := range ask {
		owners[t] = got[i]
		if got[i] == "" {
			unknown++
		}
	}
	return owners, unknown
}
