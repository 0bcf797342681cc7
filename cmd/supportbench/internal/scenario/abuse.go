package scenario

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

// attackNames are the abuse scenario's attacks, in their default order: metrics
// runs last because the series it adds make every later /metrics read (and the
// server's RSS) bigger.
func attackNames() []string { return []string{"big-list", "search", "seen", "metrics"} }

// abuseFlags are the abuse scenario's own flags.
type abuseFlags struct {
	phase, gap, sample time.Duration
	rate               float64
	attacks            []string
	strict             bool
	bigTickets         int
	bigThreads         int
	bigChars           int
	listReaders        int
	searchInFlight     int
	seenSockets        int
	seenRate           float64
	seenIDs            int
	junk               int
	goodTickets        int
	maxGoodInFlight    int
	backoff429         time.Duration // an attacker's pause after a 429, so that the tool's own CPU stays out of the figures
	setupRetries       int
}

func abuseCmd(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error) {
	fs := flag.NewFlagSet("abuse", flag.ContinueOnError)
	c := commonFlags(fs, getenv)
	f := abuseFlags{setupRetries: 20, maxGoodInFlight: 200, backoff429: 50 * time.Millisecond}
	var attacks string
	fs.DurationVar(&f.phase, "phase", 10*time.Second, "how long each phase lasts: the baseline, then each attack")
	fs.DurationVar(&f.gap, "gap", 2*time.Second, "pause between phases, for the server to finish what the last one left")
	fs.DurationVar(&f.sample, "sample", 100*time.Millisecond, "how often the server's /metrics is read for its RSS during a phase")
	fs.Float64Var(&f.rate, "rate", 40, "the well-behaved tenant's requests a second (open loop: list, get, reply, 2-word search in turn); keep it under the server's rate limit")
	fs.StringVar(&attacks, "attacks", strings.Join(attackNames(), ","), "the attacks to run, in this order, each in its own phase: big-list, search, seen, metrics")
	fs.BoolVar(&f.strict, "strict", false, "exit 1 when a bar is missed (without it the bars are only reported)")
	fs.IntVar(&f.bigTickets, "big-tickets", 30, "setup: tickets of the attacking client")
	fs.IntVar(&f.bigThreads, "big-threads", 100, "setup: threads per attacking ticket (the server takes at most 100 per insert)")
	fs.IntVar(&f.bigChars, "big-chars", 9000, "setup: characters per attacking thread (the server takes at most 10,000)")
	fs.IntVar(&f.listReaders, "list-readers", 16, "big-list: concurrent GET /support-tickets?limit=100 by the attacking client, each in a loop")
	fs.IntVar(&f.searchInFlight, "search-in-flight", 8, "search: short-word searches in flight, half by the attacking client, half by a super admin")
	fs.IntVar(&f.seenSockets, "seen-sockets", 20, "seen: sockets of the attacking client (the server allows 20 per caller)")
	fs.Float64Var(&f.seenRate, "seen-rate", 19, "seen: messages a second per socket (the server allows 20)")
	fs.IntVar(&f.seenIDs, "seen-ids", 1000, "seen: thread ids per message (the server takes at most 1,000)")
	fs.IntVar(&f.junk, "junk", 2000, "metrics: requests with made-up methods and paths, spread over the phase")
	fs.IntVar(&f.goodTickets, "good-tickets", 10, "setup: tickets of the well-behaved tenant")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	var err error
	if f.attacks, err = parseAttacks(attacks); err != nil {
		return nil, nil, err
	}
	if err := f.validate(); err != nil {
		return nil, nil, err
	}
	return bounded(ctx, c, func(ctx context.Context, e *env) (*report.Report, error) { return runAbuse(ctx, e, f) })
}

// parseAttacks reads -attacks: known names, no repeats, at least one.
func parseAttacks(s string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(s, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if !slices.Contains(attackNames(), a) {
			return nil, fmt.Errorf("abuse: -attacks: unknown attack %q (want some of %s)", a, strings.Join(attackNames(), ", "))
		}
		if slices.Contains(out, a) {
			return nil, fmt.Errorf("abuse: -attacks: %q twice", a)
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("abuse: -attacks: at least one attack")
	}
	return out, nil
}

// maxInsertBody is the server's request body limit (1 MiB).
const maxInsertBody = 1 << 20

// insertBodySize is an upper bound of the JSON size of an insert with threads
// messages of chars ASCII characters each: `{"message":"…"},` per thread, plus
// the title and category.
func insertBodySize(threads, chars int) int { return threads*(chars+len(`{"message":""},`)) + 512 }

func (f abuseFlags) validate() error {
	switch {
	case f.phase <= 0 || f.gap < 0 || f.sample <= 0:
		return errors.New("abuse: want -phase > 0, -gap ≥ 0, -sample > 0")
	case f.rate <= 0:
		return errors.New("abuse: want -rate > 0")
	case f.bigTickets < 1 || f.bigThreads < 1 || f.bigThreads > 100 || f.bigChars < 1 || f.bigChars > 10000:
		return errors.New("abuse: want -big-tickets ≥ 1, 1 ≤ -big-threads ≤ 100, 1 ≤ -big-chars ≤ 10000 (the server's limits)")
	case insertBodySize(f.bigThreads, f.bigChars) > maxInsertBody:
		return fmt.Errorf("abuse: -big-threads × -big-chars makes an insert of about %d bytes, over the server's 1 MiB body limit", insertBodySize(f.bigThreads, f.bigChars))
	case f.listReaders < 1 || f.searchInFlight < 1 || f.seenSockets < 1 || f.seenRate <= 0 || f.junk < 1 || f.goodTickets < 1:
		return errors.New("abuse: want -list-readers, -search-in-flight, -seen-sockets, -junk, -good-tickets ≥ 1 and -seen-rate > 0")
	case f.seenIDs < 1 || f.seenIDs > 1000:
		return errors.New("abuse: want 1 ≤ -seen-ids ≤ 1000")
	}
	return nil
}

func runAbuse(ctx context.Context, e *env, f abuseFlags) (*report.Report, error) {
	r := newReport(e, "abuse")
	r.Params.Add("phase", f.phase.String())
	r.Params.Add("rate", f.rate)
	r.Params.Add("attacks", strings.Join(f.attacks, ","))
	r.Params.Add("bigData", fmt.Sprintf("%d tickets × %d threads × %d chars", f.bigTickets, f.bigThreads, f.bigChars))
	r.Params.Add("strict", f.strict)
	if len(e.targets) > 1 {
		r.Notes = append(r.Notes, "abuse drives the first -url only")
	}

	w, err := setupAbuse(ctx, e, f, r)
	if err != nil {
		r.Finish()
		return r, err
	}
	r.BeginMeasure(e.scrapeAll(ctx, "measure start"))
	phases := []phaseResult{runPhase(ctx, e, f, w, nil, 0)}
	for i, name := range f.attacks {
		if ctx.Err() != nil {
			break
		}
		sleepCtx(ctx, f.gap)
		phases = append(phases, runPhase(ctx, e, f, w, newAttack(name, e, f, w), i+1))
	}
	r.EndMeasure(e.scrapeAll(ctx, "measure end"))
	e.rest.CloseIdleConnections()

	for _, p := range phases {
		r.Figures.Add(p.Name+" well-behaved", p.Good)
		if p.Attacker != nil {
			r.Figures.Add(p.Name+" attacker", p.Attacker)
		}
		r.Figures.Add(p.Name+" server", p.Server)
	}
	bars := judge(phases)
	met := true
	for _, b := range bars {
		r.Figures.Add("bar: "+b.Name, b)
		met = met && b.Met
	}
	r.Notes = append(r.Notes, "RSS in MB (10^6 bytes), peak of /metrics reads every "+f.sample.String()+"; series: supportd_ samples in /metrics",
		"the verdict line below is the bars' (with -strict, a missed bar fails the run); there are no sockets to check")
	r.Pass = met || !f.strict
	return r.Complete(ctx)
}
