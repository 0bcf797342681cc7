package report

import (
	"slices"
	"time"
)

// Dist summarises durations, in milliseconds.
type Dist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Millis is d in milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// DistOf sorts ds in place and returns its nearest-rank percentiles.
func DistOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	slices.Sort(ds)
	q := func(p float64) float64 { return Quantile(ds, p) }
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Dist{
		N: len(ds), P50: q(0.50), P90: q(0.90), P99: q(0.99), P999: q(0.999),
		Max: Millis(ds[len(ds)-1]), Mean: Millis(sum / time.Duration(len(ds))),
	}
}

// Quantile is the nearest-rank p-quantile of sorted (not empty), in milliseconds.
func Quantile(sorted []time.Duration, p float64) float64 {
	i := int(p*float64(len(sorted))+0.999999) - 1
	return Millis(sorted[min(max(i, 0), len(sorted)-1)])
}
