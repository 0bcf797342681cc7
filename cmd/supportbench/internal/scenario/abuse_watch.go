package scenario

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// memSample is one read of the first target's /metrics: its RSS and how many
// supportd_ samples it exposes.
type memSample struct {
	rssMB  float64
	series int
	err    error
}

// maxMetricsLine bounds one exposition line: a line is a name, its labels and a
// value, and made-up paths in labels make them long.
const maxMetricsLine = 1 << 20

// countSeries reads a text exposition as it streams (it can be tens of MB when
// labels are unbounded) and returns process_resident_memory_bytes in MB and the
// number of supportd_ samples.
func countSeries(r io.Reader) (rssMB float64, series int, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxMetricsLine)
	rssName := []byte("process_resident_memory_bytes ")
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("supportd_")):
			series++
		case bytes.HasPrefix(line, rssName):
			v, perr := strconv.ParseFloat(string(bytes.TrimSpace(line[len(rssName):])), 64)
			if perr == nil {
				rssMB = v / 1e6
			}
		}
	}
	return rssMB, series, sc.Err()
}

// scrapeSeries reads the first target's /metrics, timed out after 10 s.
func (e *env) scrapeSeries(ctx context.Context) memSample {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	resp, err := e.send(ctx, nil, http.MethodGet, "/metrics", nil)
	if err != nil {
		return memSample{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return memSample{err: fmt.Errorf("/metrics: HTTP %d", resp.StatusCode)}
	}
	rss, n, err := countSeries(resp.Body)
	return memSample{rssMB: rss, series: n, err: err}
}

// peakRSS is what a watcher saw: the highest RSS, and how many reads it made
// and how many failed.
type peakRSS struct {
	rssMB   float64
	n, errs int
}

// watchServer reads /metrics every interval (one read at a time: a slow
// /metrics is not piled on) until ctx ends, then sends the peak and closes.
func (e *env) watchServer(ctx context.Context, every time.Duration) <-chan peakRSS {
	out := make(chan peakRSS, 1)
	go func() {
		defer close(out)
		var p peakRSS
		tick := time.NewTicker(every)
		defer tick.Stop()
		for ctx.Err() == nil {
			s := e.scrapeSeries(ctx)
			p.n++
			if s.err != nil {
				p.errs++
			}
			p.rssMB = max(p.rssMB, s.rssMB)
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		out <- p
	}()
	return out
}
