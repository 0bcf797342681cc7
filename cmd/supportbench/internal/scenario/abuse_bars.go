package scenario

import "fmt"

// The bars of issue 10 on this machine.
const (
	// maxP99Factor: the well-behaved tenant's p99 under an attack is at most this
	// times its p99 in the baseline.
	maxP99Factor = 2
	// maxBigListRSSMB: the big-list phase's peak RSS exceeds the baseline's peak
	// by less than this many MB.
	maxBigListRSSMB = 150
)

// barRow is one bar: what it asks, what was measured, and whether it held.
type barRow struct {
	Name     string `json:"name"`
	Limit    string `json:"limit"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

func (b barRow) String() string {
	v := "MISSED"
	if b.Met {
		v = "met"
	}
	return fmt.Sprintf("%s: %s (bar: %s)", v, b.Measured, b.Limit)
}

// judge checks every attack phase against the baseline (phases[0]).
func judge(phases []phaseResult) []barRow {
	if len(phases) == 0 || phases[0].Name != "baseline" {
		return nil
	}
	base := phases[0]
	var out []barRow
	for _, p := range phases[1:] {
		limit := maxP99Factor * base.Good.P99
		out = append(out, barRow{
			Name:     p.Name + " p99",
			Limit:    fmt.Sprintf("well-behaved p99 ≤ %d× baseline %.2f = %.2f ms", maxP99Factor, base.Good.P99, limit),
			Measured: fmt.Sprintf("p99 %.2f ms (%.1f× baseline)", p.Good.P99, ratio(p.Good.P99, base.Good.P99)),
			Met:      p.Good.N > 0 && p.Good.P99 <= limit && p.Good.Skipped == 0,
		})
		switch p.Name {
		case "big-list":
			calm := calmRSS(phases)
			grew := p.Server.RSSPeakMB - calm
			out = append(out, barRow{
				Name:     "big-list RSS",
				Limit:    fmt.Sprintf("< %d MB over the RSS without an attack, %.1f MB", maxBigListRSSMB, calm),
				Measured: fmt.Sprintf("peak %.1f MB, %+.1f MB", p.Server.RSSPeakMB, grew),
				Met:      p.Server.Samples > p.Server.SampleErrors && grew < maxBigListRSSMB,
			})
		case "metrics":
			s := p.Server
			out = append(out, barRow{
				Name:     "metrics series",
				Limit:    "supportd_ series unchanged by the made-up requests after the warm-up",
				Measured: fmt.Sprintf("%d before, %d after the warm-up, %d after the phase", s.SeriesBefore, s.SeriesWarm, s.SeriesAfter),
				Met:      s.SeriesWarm > 0 && s.SeriesAfter == s.SeriesWarm,
			})
		}
	}
	return out
}

// calmRSS is the server's RSS without an attack: the lowest of the baseline's
// peak and every phase's start. Each is an upper bound (the setup's and the
// attacks' garbage may not have been returned to the system yet), so the lowest
// is the closest.
func calmRSS(phases []phaseResult) float64 {
	calm := phases[0].Server.RSSPeakMB
	for _, p := range phases {
		if p.Server.RSSStartMB > 0 {
			calm = min(calm, p.Server.RSSStartMB)
		}
	}
	return calm
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
