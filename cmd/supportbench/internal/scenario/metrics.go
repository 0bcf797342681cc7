package scenario

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

// scraped are the server figures read from /metrics (Prometheus text format); labelled series
// are summed over their labels.
func scraped() []string {
	return []string{
		"process_resident_memory_bytes",
		"process_cpu_seconds_total",
		"go_goroutines",
		"go_memstats_heap_inuse_bytes",
		"go_memstats_stack_inuse_bytes",
		"go_memstats_sys_bytes",
		"supportd_ws_sockets_open",
		"supportd_ws_frames_delivered_total",
		"supportd_ws_frames_dropped_total",
		"supportd_ws_slow_disconnects_total",
		"supportd_ws_caught_up_total",
		"supportd_ws_resubscribes_total",
	}
}

func (e *env) scrape(ctx context.Context, target int, point string) report.ServerSample {
	smp := report.ServerSample{Target: e.targets[target].Host, Point: point, At: time.Now(), Values: map[string]float64{}}
	// Read even when the run was interrupted: the figures of what happened still count.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	status, body, err := e.call(ctx, target, nil, http.MethodGet, "/metrics", nil)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("HTTP %d", status)
	}
	if err != nil {
		smp.Err = err.Error()
		return smp
	}
	smp.Values = parseMetrics(body, scraped())
	return smp
}

// scrapeAll reads every instance's /metrics.
func (e *env) scrapeAll(ctx context.Context, point string) []report.ServerSample {
	out := make([]report.ServerSample, len(e.targets))
	for t := range e.targets {
		out[t] = e.scrape(ctx, t, point)
	}
	return out
}

// parseMetrics sums the samples of the named series in a text exposition.
func parseMetrics(body []byte, names []string) map[string]float64 {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if !want[name] {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				continue
			}
			rest = rest[j+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	return out
}
