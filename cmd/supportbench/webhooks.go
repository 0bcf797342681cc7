package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

type webhooksFlags struct {
	hooks            int
	rate             float64
	duration         time.Duration
	downAt, downFor  time.Duration
	listen           string
	drainAfterWrites time.Duration
}

func webhooksCmd(ctx context.Context, args []string, getenv func(string) string) (*report, *common, error) {
	fs := flag.NewFlagSet("webhooks", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := webhooksFlags{}
	fs.IntVar(&f.hooks, "hooks", 20, "webhooks, each its own endpoint on the tool's receiver")
	fs.Float64Var(&f.rate, "rate", 200, "replies a second (each a thread.added event for every webhook)")
	fs.DurationVar(&f.duration, "duration", 60*time.Second, "how long to write")
	fs.DurationVar(&f.downAt, "down-at", 10*time.Second, "when the first endpoint starts answering 503")
	fs.DurationVar(&f.downFor, "down-for", 20*time.Second, "how long the first endpoint answers 503 (0: never)")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:0", "the receiver's listen address (the server must reach it)")
	fs.DurationVar(&f.drainAfterWrites, "catch-up", 90*time.Second, "after the writes, how long to wait at most for every webhook to have every event")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if f.hooks < 1 || f.rate <= 0 || f.duration <= 0 || f.downFor < 0 {
		return nil, nil, fmt.Errorf("webhooks: want -hooks ≥ 1, -rate > 0, -duration > 0, -down-for ≥ 0")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report, error) { return runWebhooks(ctx, e, f) })
}

// hookSink is one webhook's endpoint: what arrived, in arrival order.
type hookSink struct {
	key      []byte
	mu       sync.Mutex
	ids      []int64
	lags     []time.Duration // arrival − the event's at, per first arrival
	seen     map[int64]bool
	dups     int
	badSig   int
	refused  int
	down     func() bool
	lastSeen time.Time
}

func (h *hookSink) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	now := time.Now()
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	ok := r.Header.Get("webhook-signature") == "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil))
	var ev struct {
		At time.Time `json:"at"`
	}
	_ = json.Unmarshal(body, &ev)
	n, _ := strconv.ParseInt(id, 10, 64)
	h.mu.Lock()
	defer h.mu.Unlock()
	if !ok {
		h.badSig++
	}
	if h.down != nil && h.down() {
		h.refused++
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if h.seen[n] {
		h.dups++
		return
	}
	h.seen[n] = true
	h.ids = append(h.ids, n)
	h.lags = append(h.lags, now.Sub(ev.At))
	h.lastSeen = now
}

func runWebhooks(ctx context.Context, e *env, f webhooksFlags) (*report, error) {
	r := newReport(e, "webhooks")
	r.latencyFrom, r.foreignAre = "the event's at", "events of other writers"
	r.Params.add("hooks", f.hooks)
	r.Params.add("rate", f.rate)
	r.Params.add("duration", f.duration.String())
	r.Params.add("first endpoint down", fmt.Sprintf("%s from %s", f.downFor, f.downAt))

	agent, err := e.mint.identity(roleAdmin, "sb "+e.c.run+" hooks agent")
	if err != nil {
		return nil, err
	}
	client, err := e.mint.identity(roleClient, "sb "+e.c.run+" hooks client")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return nil, err
	}
	var writeStart time.Time
	var startMu sync.Mutex
	down := func() bool {
		startMu.Lock()
		defer startMu.Unlock()
		since := time.Since(writeStart)
		return !writeStart.IsZero() && since >= f.downAt && since < f.downAt+f.downFor
	}
	sinks := make([]*hookSink, f.hooks)
	mux := http.NewServeMux()
	for i := range sinks {
		sinks[i] = &hookSink{seen: map[int64]bool{}}
		if i == 0 {
			sinks[i].down = down
		}
		mux.HandleFunc("/h/"+strconv.Itoa(i), sinks[i].serve)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	hookIDs, err := createHooks(ctx, e, agent, sinks, "http://"+ln.Addr().String())
	defer deleteHooks(e, agent, hookIDs)
	if err != nil {
		return nil, err
	}
	tk := createTickets(ctx, e, []*identity{client}, 1)
	if tk.ids[0] == "" {
		return nil, fmt.Errorf("webhooks: the ticket could not be created (%s)", formatCodes(tk.codes.snapshot()))
	}
	from, err := newestEvent(ctx, e, agent)
	if err != nil {
		return nil, err
	}

	r.beginMeasure(e.scrapeAll(ctx, "measure start"))
	startMu.Lock()
	writeStart = time.Now()
	startMu.Unlock()
	var tally codes
	total := int(f.rate * f.duration.Seconds())
	sent, skipped, elapsed := openLoop(ctx, f.rate, total, 256, func(n int) {
		status, err := e.reply(ctx, agent, tk.ids[0], fmt.Sprintf("hook load %d", n))
		tally.add(status, err)
	})
	want, err := threadEvents(ctx, e, agent, from, tk.ids[0])
	if err != nil {
		return nil, err
	}
	caughtUp := waitHooks(ctx, sinks, len(want), f.drainAfterWrites)
	r.endMeasure(e.scrapeAll(ctx, "measure end"))
	r.Writes = &writeStats{Planned: total, Sent: sent, Skipped: skipped, Codes: tally.snapshot(), TargetRate: f.rate,
		AchievedRate: float64(sent) / elapsed.Seconds(), ElapsedS: elapsed.Seconds()}
	hookLedger(r, sinks, want, writeStart, caughtUp)
	return r.complete(ctx)
}

func createHooks(ctx context.Context, e *env, agent *identity, sinks []*hookSink, base string) ([]string, error) {
	var ids []string
	for i, s := range sinks {
		status, b, err := e.call(ctx, 0, agent, http.MethodPost, "/webhooks",
			map[string]any{"url": base + "/h/" + strconv.Itoa(i), "events": []string{"thread.added"}})
		if err != nil || status != http.StatusCreated {
			return ids, fmt.Errorf("webhooks: create: %d %s %v", status, b, err)
		}
		var out struct {
			Data struct{ ID, Secret string } `json:"data"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return ids, err
		}
		ids = append(ids, out.Data.ID)
		s.key, _ = base64.StdEncoding.DecodeString(strings.TrimPrefix(out.Data.Secret, "whsec_"))
	}
	return ids, nil
}

func deleteHooks(e *env, agent *identity, ids []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, id := range ids {
		_, _, _ = e.call(ctx, 0, agent, http.MethodDelete, "/webhooks/"+id, nil)
	}
}

type feedOut struct {
	Data []struct {
		Type     string `json:"type"`
		ID       string `json:"id"`
		TicketID string `json:"ticketId"`
	} `json:"data"`
	LastEventID string `json:"lastEventId"`
}

func newestEvent(ctx context.Context, e *env, agent *identity) (string, error) {
	after := "0"
	for {
		status, b, err := e.call(ctx, 0, agent, http.MethodGet, "/events?limit=1000&after="+after, nil)
		if err != nil || status != http.StatusOK {
			return "", fmt.Errorf("webhooks: events feed: %d %v", status, err)
		}
		var p feedOut
		if err := json.Unmarshal(b, &p); err != nil {
			return "", err
		}
		after = p.LastEventID
		if len(p.Data) < 1000 {
			return after, nil
		}
	}
}

// threadEvents reads the run's thread.added ids from the events feed: what every
// webhook must get, in this order.
func threadEvents(ctx context.Context, e *env, agent *identity, after, ticket string) ([]int64, error) {
	time.Sleep(2 * time.Second) // let the last writes be numbered
	var ids []int64
	for {
		status, b, err := e.call(ctx, 0, agent, http.MethodGet, "/events?limit=1000&after="+after, nil)
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("webhooks: events feed: %d %v", status, err)
		}
		var p feedOut
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, err
		}
		for _, ev := range p.Data {
			if ev.Type == "thread.added" && ev.TicketID == ticket {
				n, _ := strconv.ParseInt(ev.ID, 10, 64)
				ids = append(ids, n)
			}
		}
		after = p.LastEventID
		if len(p.Data) < 1000 {
			return ids, nil
		}
	}
}

// waitHooks waits until every sink has n events, or limit; it returns how long.
func waitHooks(ctx context.Context, sinks []*hookSink, n int, limit time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < limit && ctx.Err() == nil {
		done := true
		for _, s := range sinks {
			s.mu.Lock()
			done = done && len(s.ids) >= n
			s.mu.Unlock()
		}
		if done {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	return time.Since(start)
}

func hookLedger(r *report, sinks []*hookSink, want []int64, writeStart time.Time, caughtUp time.Duration) {
	var healthy []time.Duration
	var downLast time.Time
	t := &r.Ledger
	t.Sockets = len(sinks)
	wanted := map[int64]bool{}
	for _, id := range want {
		wanted[id] = true
	}
	for i, s := range sinks {
		s.mu.Lock()
		t.Expected += len(want)
		t.Received += len(s.ids)
		t.Duplicated += s.dups
		got := map[int64]bool{}
		for _, id := range s.ids {
			got[id] = true
		}
		for _, id := range s.ids {
			if !wanted[id] {
				t.Foreign++ // another writer's thread: order checked only
			}
		}
		for j := 1; j < len(s.ids); j++ {
			if s.ids[j] <= s.ids[j-1] {
				t.OutOfOrder++
			}
		}
		for _, id := range want {
			if !got[id] {
				t.Missing++
			}
		}
		if s.badSig > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("hook %d: %d bad signatures", i, s.badSig))
		}
		if i == 0 {
			downLast = s.lastSeen
			r.Figures.add("down endpoint: 503s answered", s.refused)
			r.Latency = append(r.Latency, latencyRow{"down endpoint (event at → 2xx)", distOf(append([]time.Duration(nil), s.lags...))})
		} else {
			healthy = append(healthy, s.lags...)
		}
		s.mu.Unlock()
	}
	hd := distOf(healthy)
	r.Latency = append(r.Latency, latencyRow{"healthy endpoints (event at → 2xx)", hd})
	r.Figures.add("events per webhook", len(want))
	r.Figures.add("healthy lag p50 / p99 / max ms", fmt.Sprintf("%.1f / %.1f / %.1f", hd.P50, hd.P99, hd.Max))
	r.Figures.add("every webhook complete after the writes in", caughtUp.Round(100*time.Millisecond).String())
	if !downLast.IsZero() {
		r.Figures.add("down endpoint's last event after write start", downLast.Sub(writeStart).Round(100*time.Millisecond).String())
	}
	r.Pass = t.Missing == 0 && t.OutOfOrder == 0 && len(r.Problems) == 0
}
