package scenario

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// window is a span of the measured phase, as offsets from its start: faults.sh breaks
// one instance's link for such a span and compares what each instance's sockets got
// during it.
type window struct{ from, to time.Duration }

// parseWindow reads "10s-30s"; empty is no window.
func parseWindow(s string) (*window, error) {
	if s == "" {
		return nil, nil
	}
	a, b, ok := strings.Cut(s, "-")
	from, err1 := time.ParseDuration(a)
	to, err2 := time.ParseDuration(b)
	if !ok || err1 != nil || err2 != nil || from < 0 || to <= from {
		return nil, fmt.Errorf("-window must be FROM-TO offsets from the start of the writes, such as 10s-30s, got %q", s)
	}
	return &window{from, to}, nil
}

// byInstance adds, for each target, the deliveries of replies posted inside w and
// their latency: the cut instance's sockets against the others'.
func byInstance(r *report.Report, e *env, rx *wsclient.Receiver, socks []*wsclient.Socket, start time.Time, w *window) {
	lo, hi := start.Add(w.from).UnixNano(), start.Add(w.to).UnixNano()
	per := make([][]time.Duration, len(e.targets))
	open := make([]int, len(e.targets))
	for _, s := range socks {
		if s.Opened() {
			open[s.Target]++
		}
		for _, x := range s.Latencies {
			if t0 := rx.Sent[x.N].Load(); t0 >= lo && t0 < hi {
				per[s.Target] = append(per[s.Target], x.Took)
			}
		}
	}
	for t, lat := range per {
		d := report.DistOf(lat)
		name := fmt.Sprintf("instance %d (%s), posted in %s–%s", t+1, e.targets[t].Host, w.from, w.to)
		r.Latency = append(r.Latency, report.LatencyRow{Name: name, Dist: d})
		r.Figures.Add(fmt.Sprintf("instance %d deliveries in window / sockets open at end", t+1),
			fmt.Sprintf("%d / %d", d.N, open[t]))
	}
}

// faultStep is a POST the tool makes at an offset of the measured phase (to a
// `supportbench proxy` control URL), so that a fault starts and ends at known
// points of the writes.
type faultStep struct {
	at  time.Duration
	url string
}

// parseFaults reads "10s=http://…/blackhole,30s=http://…/pass".
func parseFaults(s string) ([]faultStep, error) {
	if s == "" {
		return nil, nil
	}
	var out []faultStep
	for _, part := range strings.Split(s, ",") {
		a, u, ok := strings.Cut(part, "=")
		d, err := time.ParseDuration(a)
		if !ok || err != nil || d < 0 || !strings.HasPrefix(u, "http") {
			return nil, fmt.Errorf("-fault must be OFFSET=URL[,OFFSET=URL…], such as 10s=http://127.0.0.1:9000/blackhole, got %q", part)
		}
		out = append(out, faultStep{d, u})
	}
	return out, nil
}

// runFaults POSTs each step at its offset from start, until ctx ends; the returned
// wait blocks until every step has been made or abandoned.
func runFaults(ctx context.Context, r *report.Report, steps []faultStep, start time.Time) (wait func()) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, st := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTimer(time.Until(start.Add(st.at)))
			defer t.Stop()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			note := fmt.Sprintf("fault step at %s: POST %s", st.at, st.url)
			req, err := http.NewRequestWithContext(rctx, http.MethodPost, st.url, nil)
			if err == nil {
				var res *http.Response
				if res, err = http.DefaultClient.Do(req); err == nil {
					res.Body.Close()
					note += " → " + res.Status
				}
			}
			if err != nil {
				note += " failed: " + err.Error()
			}
			mu.Lock()
			r.Notes = append(r.Notes, note)
			mu.Unlock()
		}()
	}
	return wg.Wait
}
