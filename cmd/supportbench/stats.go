package main

import (
	"slices"
	"time"
)

// dist summarises durations, in milliseconds.
type dist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// distOf sorts ds in place and returns its nearest-rank percentiles.
func distOf(ds []time.Duration) dist {
	if len(ds) == 0 {
		return dist{}
	}
	slices.Sort(ds)
	q := func(p float64) float64 { return quantile(ds, p) }
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return dist{
		N: len(ds), P50: q(0.50), P90: q(0.90), P99: q(0.99), P999: q(0.999),
		Max: ms(ds[len(ds)-1]), Mean: ms(sum / time.Duration(len(ds))),
	}
}

// quantile is the nearest-rank p-quantile of sorted (not empty), in milliseconds.
func quantile(sorted []time.Duration, p float64) float64 {
	i := int(p*float64(len(sorted))+0.999999) - 1
	return ms(sorted[min(max(i, 0), len(sorted)-1)])
}
