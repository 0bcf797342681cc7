package scenario

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

// restOp is one kind of REST request of the rest scenario.
type restOp int

const (
	opList   restOp = iota // GET /support-tickets?countByStatus=true
	opGet                  // GET /support-tickets/{id}
	opCreate               // POST /support-tickets/insert
	opReply                // POST /support-tickets/{id}/thread
	numOps
)

func (o restOp) String() string { return [numOps]string{"list", "get", "create", "reply"}[o] }

func (o restOp) write() bool { return o == opCreate || o == opReply }

// opFor is the kind of the n-th request of a run in a mode: read alternates list
// and get; write alternates create and reply; mix is, in every block of ten, four
// lists and four gets interleaved, then a create and a reply (80% reads).
func opFor(mode string, n uint64) restOp {
	switch mode {
	case "read":
		return restOp(n % 2)
	case "write":
		return opCreate + restOp(n%2)
	default: // mix
		switch k := n % 10; {
		case k < 8:
			return restOp(k % 2)
		case k == 8:
			return opCreate
		default:
			return opReply
		}
	}
}

func validMode(mode string) bool { return mode == "read" || mode == "write" || mode == "mix" }

// mix64 is splitmix64's finaliser: the n-th request's random choices depend only on
// the seed and n, whichever goroutine sends it.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// choice is who sends the n-th request and on which ticket.
type choice struct {
	admin  bool
	who    int // index into the clients or the admins
	ticket int // a ticket of the client (index into its tickets) or, for an admin, into every ticket
}

// choose picks the n-th request's sender: an admin with probability adminShare,
// else a client; and a ticket in the sender's scope.
func choose(seed, n uint64, adminShare float64, clients, admins, perClient int) choice {
	r := mix64(seed ^ mix64(n))
	u := float64(r>>11) / (1 << 53)
	r2 := mix64(r)
	if admins > 0 && u < adminShare {
		return choice{admin: true, who: int(r2 % uint64(admins)), ticket: int((r2 >> 32) % uint64(clients*perClient))}
	}
	return choice{who: int(r2 % uint64(clients)), ticket: int((r2 >> 32) % uint64(perClient))}
}

// opStats gathers one kind's round trips and answers.
type opStats struct {
	mu    sync.Mutex
	took  []time.Duration
	codes codes
}

// restRow is one kind's figures; String is its line in the table.
type restRow struct {
	N      int            `json:"n"`
	PerSec float64        `json:"perSecond"`
	P50    float64        `json:"p50Ms"`
	P95    float64        `json:"p95Ms"`
	P99    float64        `json:"p99Ms"`
	Max    float64        `json:"maxMs"`
	Mean   float64        `json:"meanMs"`
	Errors int            `json:"errors"`
	Codes  map[string]int `json:"codes"`
}

func (r restRow) String() string {
	return fmt.Sprintf("n %d  %.1f/s  p50 %.2f  p95 %.2f  p99 %.2f  max %.2f ms  answers %s",
		r.N, r.PerSec, r.P50, r.P95, r.P99, r.Max, report.FormatCodes(r.Codes))
}

// rowOf summarises round trips over a span of wall time.
func rowOf(took []time.Duration, c map[string]int, span time.Duration) restRow {
	d := report.DistOf(took) // sorts took
	row := restRow{N: d.N, P50: d.P50, P99: d.P99, Max: d.Max, Mean: d.Mean, Errors: report.Failures(c), Codes: c}
	if len(took) > 0 {
		row.P95 = report.Quantile(took, 0.95)
	}
	if span > 0 {
		row.PerSec = float64(d.N) / span.Seconds()
	}
	return row
}

type restFlags struct {
	mode                       string
	concurrency                int
	rate                       float64
	duration                   time.Duration
	maxInFlight                int
	clients, perClient, admins int
	adminShare                 float64
}

func restCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("rest", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := restFlags{}
	fs.StringVar(&f.mode, "mode", "read", "read (list page with counts, get, alternately), write (create, reply, alternately) or mix (80% reads, 20% writes)")
	fs.IntVar(&f.concurrency, "concurrency", 32, "closed loop: workers, each sending its next request when the previous one answered")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: requests a second paced by a ticker, whatever the answers (0: closed loop)")
	fs.DurationVar(&f.duration, "duration", 20*time.Second, "how long to send")
	fs.IntVar(&f.maxInFlight, "max-in-flight", 1000, "open loop: requests pending at once before arrivals are skipped")
	fs.IntVar(&f.clients, "clients", 100, "clients, each creating -tickets-per-client tickets in the setup")
	fs.IntVar(&f.perClient, "tickets-per-client", 3, "tickets each client creates in the setup")
	fs.IntVar(&f.admins, "admins", 10, "super admins")
	fs.Float64Var(&f.adminShare, "admin-share", 0.2, "share of the requests sent by super admins (lists and gets of every ticket, replies to any ticket, creates for a client); the rest by clients on their own tickets")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if !validMode(f.mode) || f.concurrency < 1 || f.rate < 0 || f.duration <= 0 || f.maxInFlight < 1 ||
		f.clients < 1 || f.perClient < 1 || f.admins < 0 || f.adminShare < 0 || f.adminShare > 1 {
		return nil, nil, fmt.Errorf("rest: want -mode read|write|mix, -concurrency ≥ 1, -rate ≥ 0, -duration > 0, -max-in-flight ≥ 1, -clients ≥ 1, -tickets-per-client ≥ 1, -admins ≥ 0, 0 ≤ -admin-share ≤ 1")
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runRest(ctx, e, f) })
}

func runRest(ctx context.Context, e *env, f restFlags) (*report.Report, error) {
	r := newReport(e, "rest")
	r.Params.Add("mode", f.mode)
	if f.rate > 0 {
		r.Params.Add("loop", "open")
		r.Params.Add("rate", f.rate)
		r.Params.Add("maxInFlight", f.maxInFlight)
	} else {
		r.Params.Add("loop", "closed")
		r.Params.Add("concurrency", f.concurrency)
	}
	r.Params.Add("duration", f.duration.String())
	r.Params.Add("clients", f.clients)
	r.Params.Add("ticketsPerClient", f.perClient)
	r.Params.Add("admins", f.admins)
	r.Params.Add("adminShare", f.adminShare)

	clients, err := e.mint.Users(identity.RoleClient, "sb "+e.c.run+" client", f.clients)
	if err != nil {
		return nil, err
	}
	admins, err := e.mint.Users(identity.RoleAdmin, "sb "+e.c.run+" agent", f.admins)
	if err != nil {
		return nil, err
	}

	// Setup: every client creates its tickets; ids[i*perClient+k] is client i's k-th.
	nt := f.clients * f.perClient
	ids := make([]string, nt)
	var setupCodes codes
	t0 := time.Now()
	forEach(ctx, nt, 16, func(i int) {
		title := fmt.Sprintf("sb %s rest ticket %d", e.c.run, i)
		ids[i], _ = e.insertTicket(ctx, clients[i/f.perClient], title, "supportbench rest: first message", &setupCodes)
	})
	r.Setup.Add("tickets", nt)
	r.Setup.Add("ticketsIn", time.Since(t0).Round(time.Millisecond).String())
	r.Setup.Add("answers", report.FormatCodes(setupCodes.snapshot()))
	if slices.Contains(ids, "") {
		r.Finish()
		return r, fmt.Errorf("rest: setup: not every ticket could be created (%s)", report.FormatCodes(setupCodes.snapshot()))
	}

	seed := e.c.seed
	var stats [numOps]opStats
	var examples []string
	var exMu sync.Mutex
	do := func(n uint64) {
		op := opFor(f.mode, n)
		ch := choose(seed, n, f.adminShare, f.clients, f.admins, f.perClient)
		var who *identity.User
		tk := ch.ticket
		if ch.admin {
			who = admins[ch.who]
		} else {
			who = clients[ch.who]
			tk = ch.who*f.perClient + ch.ticket
		}
		var method, path string
		var body any
		switch op {
		case opList:
			method, path = http.MethodGet, "/support-tickets?countByStatus=true"
		case opGet:
			method, path = http.MethodGet, "/support-tickets/"+ids[tk]
		case opCreate:
			in := insertIn{Title: "sb " + e.c.run + " rest create " + strconv.FormatUint(n, 10), Category: "other",
				Threads: []threadIn{{Message: "supportbench rest: created under load"}}}
			if ch.admin {
				in.Client = clients[tk/f.perClient].ID
			}
			method, path, body = http.MethodPost, "/support-tickets/insert", in
		case opReply:
			method, path = http.MethodPost, "/support-tickets/"+ids[tk]+"/thread"
			body = threadIn{Message: "supportbench rest: reply " + strconv.FormatUint(n, 10)}
		}
		start := time.Now()
		status, b, err := e.call(ctx, int(n%uint64(len(e.targets))), who, method, path, body)
		d := time.Since(start)
		st := &stats[op]
		st.codes.add(status, err)
		st.mu.Lock()
		st.took = append(st.took, d)
		st.mu.Unlock()
		if err != nil || status/100 != 2 {
			exMu.Lock()
			if len(examples) < 5 {
				if err != nil {
					examples = append(examples, fmt.Sprintf("%s %s: %v", method, path, err))
				} else {
					examples = append(examples, fmt.Sprintf("%s %s: HTTP %d: %.200s", method, path, status, b))
				}
			}
			exMu.Unlock()
		}
	}

	// The measured phase.
	r.BeginMeasure(e.scrapeAll(ctx, "measure start"))
	start := time.Now()
	var sent, skipped int
	if f.rate > 0 {
		total := int(f.rate * f.duration.Seconds())
		sent, skipped, _ = openLoop(ctx, f.rate, total, f.maxInFlight, func(seq int) { do(uint64(seq)) })
	} else {
		deadline := start.Add(f.duration)
		var next atomic.Uint64
		var wg sync.WaitGroup
		for range f.concurrency {
			wg.Go(func() {
				for ctx.Err() == nil && time.Now().Before(deadline) {
					do(next.Add(1) - 1)
				}
			})
		}
		wg.Wait()
		sent = int(next.Load())
	}
	span := time.Since(start)
	r.EndMeasure(e.scrapeAll(ctx, "measure end"))
	e.rest.CloseIdleConnections()

	all := map[string]int{}
	var reads, writes int
	for op := range numOps {
		st := &stats[op]
		c := st.codes.snapshot()
		if len(st.took) == 0 {
			continue
		}
		row := rowOf(st.took, c, span)
		r.Figures.Add(restOp(op).String(), row)
		for k, v := range c {
			all[k] += v
		}
		if restOp(op).write() {
			writes += row.N
		} else {
			reads += row.N
		}
	}
	errs := report.Failures(all)
	r.Figures.Add("requests", sent)
	r.Figures.Add("req/s", float64(reads+writes)/span.Seconds())
	r.Figures.Add("reads/s", float64(reads)/span.Seconds())
	r.Figures.Add("writes/s", float64(writes)/span.Seconds())
	if f.rate > 0 {
		r.Figures.Add("skipped arrivals", skipped)
	}
	r.Figures.Add("answers", all)
	r.Figures.Add("errors (not 2xx)", errs)
	r.Figures.Add("seed", seed)
	r.Notes = append(r.Notes, "REST-only load has no socket ledger: the verdict is no answer other than 2xx"+
		map[bool]string{true: " and no skipped arrival", false: ""}[f.rate > 0])
	for _, x := range examples {
		r.Notes = append(r.Notes, "error: "+x)
	}
	r.Pass = errs == 0 && skipped == 0 && reads+writes > 0
	return r.Complete(ctx)
}
