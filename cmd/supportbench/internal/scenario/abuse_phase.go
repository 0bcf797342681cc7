package scenario

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

// goodTenant is the well-behaved client whose latency the abuse scenario
// watches: a list page, a get, a short reply and a 2-word search in turn.
type goodTenant struct {
	who     *identity.User
	tickets []string
}

func goodKinds() [4]string { return [4]string{"list", "get", "reply", "search"} }

// request is the well-behaved tenant's n-th request: its kind, method, path and body.
func (g *goodTenant) request(n int) (kind, method, path string, body any) {
	tk := g.tickets[(n/len(goodKinds()))%len(g.tickets)]
	switch kind = goodKinds()[n%len(goodKinds())]; kind {
	case "list":
		return kind, http.MethodGet, "/support-tickets?countByStatus=true", nil
	case "get":
		return kind, http.MethodGet, "/support-tickets/" + tk, nil
	case "reply":
		return kind, http.MethodPost, "/support-tickets/" + tk + "/thread", threadIn{Message: "thanks, trying that now (" + strconv.Itoa(n) + ")"}
	default:
		return kind, http.MethodGet, "/support-tickets?q=" + strings.ReplaceAll(goodWords, " ", "+"), nil
	}
}

// goodRow is the well-behaved tenant's figures in one phase.
type goodRow struct {
	report.Dist
	ByKind  map[string]report.Dist `json:"byKind"`
	Codes   map[string]int         `json:"codes"`
	Skipped int                    `json:"skippedArrivals"`
}

func (g goodRow) String() string {
	s := fmt.Sprintf("n %d  p50 %.2f  p99 %.2f  max %.2f ms", g.N, g.P50, g.P99, g.Max)
	for _, k := range goodKinds() {
		if d, ok := g.ByKind[k]; ok {
			s += fmt.Sprintf("  %s %.1f/%.1f", k, d.P50, d.P99)
		}
	}
	return s + fmt.Sprintf("  answers %s  skipped %d", report.FormatCodes(g.Codes), g.Skipped)
}

// load sends the well-behaved requests from seq0 on at rate for d (an open loop)
// and summarises them.
func (g *goodTenant) load(ctx context.Context, e *env, rate float64, d time.Duration, maxInFlight, seq0 int) goodRow {
	var mu sync.Mutex
	var all []time.Duration
	byKind := map[string][]time.Duration{}
	var tally codes
	_, skipped, _ := openLoop(ctx, rate, max(1, int(rate*d.Seconds())), maxInFlight, func(seq int) {
		kind, method, path, body := g.request(seq0 + seq)
		t0 := time.Now()
		status, _, err := e.call(ctx, 0, g.who, method, path, body)
		took := time.Since(t0)
		tally.add(status, err)
		mu.Lock()
		all = append(all, took)
		byKind[kind] = append(byKind[kind], took)
		mu.Unlock()
	})
	row := goodRow{Dist: report.DistOf(all), ByKind: map[string]report.Dist{}, Codes: tally.snapshot(), Skipped: skipped}
	for k, ds := range byKind {
		row.ByKind[k] = report.DistOf(ds)
	}
	return row
}

// serverRow is what /metrics showed during a phase.
type serverRow struct {
	RSSStartMB   float64 `json:"rssStartMB"`
	RSSPeakMB    float64 `json:"rssPeakMB"`
	Samples      int     `json:"samples"`
	SampleErrors int     `json:"sampleErrors"`
	SeriesBefore int     `json:"seriesBefore"`
	SeriesWarm   int     `json:"seriesAfterWarmUp,omitempty"` // metrics: after a few made-up requests
	SeriesAfter  int     `json:"seriesAfter"`
}

func (s serverRow) String() string {
	out := fmt.Sprintf("RSS %.1f → peak %.1f MB (%d samples", s.RSSStartMB, s.RSSPeakMB, s.Samples)
	if s.SampleErrors > 0 {
		out += fmt.Sprintf(", %d failed", s.SampleErrors)
	}
	out += fmt.Sprintf(")  supportd_ series %d", s.SeriesBefore)
	if s.SeriesWarm > 0 {
		out += fmt.Sprintf(" → %d after warm-up", s.SeriesWarm)
	}
	return out + fmt.Sprintf(" → %d", s.SeriesAfter)
}

// phaseResult is one phase: the baseline (no attacker) or one attack.
type phaseResult struct {
	Name     string       `json:"name"`
	Good     goodRow      `json:"wellBehaved"`
	Attacker *attackerRow `json:"attacker,omitempty"`
	Server   serverRow    `json:"server"`
}

// runPhase runs the well-behaved tenant for -phase next to attack a (nil: the
// baseline), watching the server's RSS; the attack and the watcher stop when
// the tenant's last request has answered.
func runPhase(ctx context.Context, e *env, f abuseFlags, w *abuseWorld, a *attack, index int) phaseResult {
	res := phaseResult{Name: "baseline"}
	if a != nil {
		res.Name = a.name
	}
	m0 := e.scrapeSeries(ctx)
	res.Server.RSSStartMB, res.Server.SeriesBefore = m0.rssMB, m0.series
	tally := newAttackTally()
	if a != nil && a.warmUp != nil {
		a.warmUp(ctx, tally)
		res.Server.SeriesWarm = e.scrapeSeries(ctx).series
	}
	wctx, stopWatch := context.WithCancel(ctx)
	watched := e.watchServer(wctx, f.sample)
	actx, stopAttack := context.WithCancel(ctx)
	var wg sync.WaitGroup
	start := time.Now()
	if a != nil {
		wg.Go(func() { a.run(actx, tally) })
	}
	perPhase := int(f.rate*f.phase.Seconds()) + 1
	res.Good = w.good.load(ctx, e, f.rate, f.phase, f.maxGoodInFlight, index*perPhase)
	stopAttack()
	wg.Wait()
	span := time.Since(start)
	stopWatch()
	peak := <-watched
	res.Server.RSSPeakMB, res.Server.Samples, res.Server.SampleErrors = max(peak.rssMB, m0.rssMB), peak.n, peak.errs
	res.Server.SeriesAfter = e.scrapeSeries(ctx).series
	if a != nil {
		row := tally.row(span)
		res.Attacker = &row
	}
	return res
}
