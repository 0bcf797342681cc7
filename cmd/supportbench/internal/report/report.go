// Package report is what a supportbench run prints: figures, latency
// distributions, the servers' /metrics samples, the ledger's verdict and what the
// tool itself cost, as a table or JSON.
package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
)

// KV is one named figure; kvs keeps their order and marshals as a JSON object.
type KV struct {
	K string
	V any
}

type kvs []KV

// Add appends the figure k.
func (p *kvs) Add(k string, v any) { *p = append(*p, KV{k, v}) }

// MarshalJSON writes the figures as one object, in their order.
func (p kvs) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, x := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(x.K)
		v, err := json.Marshal(x.V)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// EventRow is one broadcast event: when its POST started, how many sockets got
// it, and when the first and the last did.
type EventRow struct {
	N       int     `json:"n"`
	At      string  `json:"postAt"`
	Sockets int     `json:"sockets"`
	PostMs  float64 `json:"postMs"`
	FirstMs float64 `json:"firstMs"`
	LastMs  float64 `json:"lastMs"`
}

// SecondRow is the latency of the deliveries whose POST started in one second of
// the measured phase.
type SecondRow struct {
	Second  int     `json:"second"`
	PostP99 float64 `json:"postP99"` // the POSTs' round trips in that second
	PostMax float64 `json:"postMax"`
	Dist
}

// LatencyRow is one named latency distribution.
type LatencyRow struct {
	Name string `json:"name"`
	Dist
}

// WriteStats is how the tool's writes went.
type WriteStats struct {
	Planned      int            `json:"planned"`
	Sent         int            `json:"sent"`
	Skipped      int            `json:"skipped"` // not sent: too many in flight (the server fell behind an open loop)
	Codes        map[string]int `json:"codes"`
	TargetRate   float64        `json:"targetPerSecond"`
	AchievedRate float64        `json:"achievedPerSecond"`
	ElapsedS     float64        `json:"elapsedSeconds"`
	Post         Dist           `json:"postMs"` // REST round trip
}

// toolCost is what the generator itself cost.
type toolCost struct {
	UserS         float64 `json:"cpuUserSeconds"`
	SysS          float64 `json:"cpuSysSeconds"`
	WallS         float64 `json:"wallSeconds"`
	MeasureCPUS   float64 `json:"measureCpuSeconds"` // during the measured phase
	MeasureWallS  float64 `json:"measureWallSeconds"`
	MeasureCores  float64 `json:"measureCores"` // CPU / wall during the measured phase
	MaxRSSMiB     float64 `json:"maxRssMiB"`
	GoMaxProcs    int     `json:"gomaxprocs"`
	ServerCPUS    float64 `json:"serverMeasureCpuSeconds"` // all instances, from process_cpu_seconds_total
	ServerCores   float64 `json:"serverMeasureCores"`
	ServerCPUSeen bool    `json:"-"`
	MachineCores  float64 `json:"machineMeasureCores"` // the whole machine, from /proc/stat
	OtherCores    float64 `json:"otherMeasureCores"`   // machine − tool − server: PostgreSQL, Redis, anything else
}

// Report is what one run measured, what its ledger found and what the tool cost.
type Report struct {
	Scenario string         `json:"scenario"`
	Run      string         `json:"run"`
	Targets  []string       `json:"targets"`
	Started  time.Time      `json:"started"`
	Params   kvs            `json:"params"`
	Figures  kvs            `json:"figures"`
	Connect  *ConnectStats  `json:"connect,omitempty"`
	Setup    kvs            `json:"setup,omitempty"`
	Writes   *WriteStats    `json:"writes,omitempty"`
	Latency  []LatencyRow   `json:"latencyMs,omitempty"`
	Events   []EventRow     `json:"events,omitempty"`
	Timeline []SecondRow    `json:"bySecond,omitempty"`
	Frames   *FrameCounts   `json:"frames,omitempty"`
	Server   []ServerSample `json:"server,omitempty"`
	Ledger   ledger.Tally   `json:"ledger"`
	Problems []string       `json:"ledgerExamples,omitempty"`
	Tool     toolCost       `json:"tool"`
	Notes    []string       `json:"notes,omitempty"`
	Pass     bool           `json:"ledgerClean"`
	Cut      bool           `json:"interrupted"`
	start    time.Time      `json:"-"`
	cpu0     cpuTimes       `json:"-"`
	measure  [2]time.Time   `json:"-"`
	mcpu     [2]cpuTimes
	mbusy    [2]time.Duration
	local    bool              // every target on this machine
	prof     *Profile          // started and stopped with the measured phase
	msrv     [2][]ServerSample `json:"-"`
	// How the table names the start of a latency, and the ledger's foreign events.
	LatencyFrom, ForeignAre string `json:"-"`
}

// New starts the report of a run of scenario against targets; local says
// every target is on this machine (the machine's CPU is then worth reporting).
func New(scenario, run string, targets []*url.URL, local bool, prof *Profile) *Report {
	r := &Report{Scenario: scenario, Run: run, Started: time.Now().UTC(), start: time.Now(), cpu0: cpuNow(),
		local: local, prof: prof, LatencyFrom: "POST start", ForeignAre: "without this run's nonce: counts, other users'"}
	for _, t := range targets {
		r.Targets = append(r.Targets, t.String())
	}
	return r
}

// BeginMeasure and EndMeasure bracket the measured phase: the tool's CPU and the
// servers' CPU are reported for it, and the servers' samples join the report.
func (r *Report) BeginMeasure(srv []ServerSample) {
	r.prof.start()
	r.measure[0], r.mcpu[0], r.msrv[0], r.mbusy[0] = time.Now(), cpuNow(), srv, machineBusy()
	r.Server = append(r.Server, srv...)
}

// MeasureStart is when the measured phase began (zero before BeginMeasure).
func (r *Report) MeasureStart() time.Time { return r.measure[0] }

func (r *Report) EndMeasure(srv []ServerSample) {
	r.measure[1], r.mcpu[1], r.msrv[1], r.mbusy[1] = time.Now(), cpuNow(), srv, machineBusy()
	r.prof.Stop()
	r.Server = append(r.Server, srv...)
}

// Complete finishes r at the end of a run, marking it cut when ctx ended first.
func (r *Report) Complete(ctx context.Context) (*Report, error) {
	r.Finish()
	if ctx.Err() != nil {
		r.Cut = true
		r.Notes = append(r.Notes, "interrupted before the end: "+ctx.Err().Error())
	}
	return r, nil
}

// Finish fills in the tool's cost.
func (r *Report) Finish() {
	c := cpuNow().sub(r.cpu0)
	r.Tool.UserS, r.Tool.SysS = c.User.Seconds(), c.Sys.Seconds()
	r.Tool.WallS = time.Since(r.start).Seconds()
	r.Tool.MaxRSSMiB = float64(c.MaxRSS) / (1 << 20)
	r.Tool.GoMaxProcs = runtime.GOMAXPROCS(0)
	if !r.measure[1].IsZero() {
		m := r.mcpu[1].sub(r.mcpu[0])
		r.Tool.MeasureCPUS = (m.User + m.Sys).Seconds()
		r.Tool.MeasureWallS = r.measure[1].Sub(r.measure[0]).Seconds()
		if r.Tool.MeasureWallS > 0 {
			r.Tool.MeasureCores = r.Tool.MeasureCPUS / r.Tool.MeasureWallS
		}
		for i := range r.msrv[1] {
			if i < len(r.msrv[0]) && r.msrv[0][i].Err == "" && r.msrv[1][i].Err == "" {
				r.Tool.ServerCPUS += r.msrv[1][i].Value("process_cpu_seconds_total") - r.msrv[0][i].Value("process_cpu_seconds_total")
				r.Tool.ServerCPUSeen = true
			}
		}
		if r.Tool.MeasureWallS > 0 {
			r.Tool.ServerCores = r.Tool.ServerCPUS / r.Tool.MeasureWallS
			if r.local && r.mbusy[0] > 0 {
				r.Tool.MachineCores = (r.mbusy[1] - r.mbusy[0]).Seconds() / r.Tool.MeasureWallS
				r.Tool.OtherCores = max(0, r.Tool.MachineCores-r.Tool.MeasureCores-r.Tool.ServerCores)
			}
		}
	}
}

// Write prints r as a table, or as indented JSON.
func (r *Report) Write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "supportbench %s   run %s   %s\n", r.Scenario, r.Run, strings.Join(r.Targets, ", "))
	b.WriteString("params: " + inline(r.Params) + "\n\n")

	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	if len(r.Figures) > 0 {
		b.WriteString("FIGURES\n")
		for _, f := range r.Figures {
			fmt.Fprintf(tw, "  %s\t%s\n", f.K, show(f.V))
		}
		tw.Flush()
		b.WriteString("\n")
	}
	if c := r.Connect; c != nil {
		fmt.Fprintf(&b, "CONNECT  %d/%d sockets open in %.2fs (%.0f/s); failed: %s\n", c.Opened, c.Attempted, c.ElapsedS, c.Rate, FormatCodes(c.Failed))
		fmt.Fprintf(tw, "  handshake ms\t%s\n", distLine(c.Handshake))
		fmt.Fprintf(tw, "  dial→hello ms\t%s\n", distLine(c.Hello))
		tw.Flush()
		b.WriteString("\n")
	}
	if len(r.Setup) > 0 {
		b.WriteString("SETUP    " + inline(r.Setup) + "\n\n")
	}
	if w := r.Writes; w != nil {
		fmt.Fprintf(&b, "WRITES   %d planned, %d sent, %d skipped in %.2fs: %.1f/s (target %.1f/s); answers: %s\n",
			w.Planned, w.Sent, w.Skipped, w.ElapsedS, w.AchievedRate, w.TargetRate, FormatCodes(w.Codes))
		fmt.Fprintf(tw, "  POST ms\t%s\n", distLine(w.Post))
		tw.Flush()
		b.WriteString("\n")
	}
	if len(r.Latency) > 0 {
		b.WriteString("LATENCY  " + r.LatencyFrom + " → frame on the socket, ms\n")
		fmt.Fprintf(tw, "  \tn\tp50\tp90\tp99\tp99.9\tmax\tmean\n")
		for _, l := range r.Latency {
			fmt.Fprintf(tw, "  %s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n", l.Name, l.N, l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
		}
		tw.Flush()
		b.WriteString("\n")
	}
	if len(r.Timeline) > 0 && len(r.Timeline) <= 120 {
		b.WriteString("BY SECOND  client sockets, by the second their POST started, ms\n")
		fmt.Fprintf(tw, "  s\tn\tp50\tp99\tmax\tPOST p99\tPOST max\n")
		for _, x := range r.Timeline {
			fmt.Fprintf(tw, "  %d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\n", x.Second, x.N, x.P50, x.P99, x.Max, x.PostP99, x.PostMax)
		}
		tw.Flush()
		b.WriteString("\n")
	}
	if len(r.Events) > 0 && len(r.Events) <= 60 {
		b.WriteString("EVENTS   the POST's round trip, and POST start → first / last socket, ms\n")
		fmt.Fprintf(tw, "  n\tPOST at (UTC)\tsockets\tPOST\tfirst\tlast\n")
		for _, ev := range r.Events {
			fmt.Fprintf(tw, "  %d\t%s\t%d\t%.2f\t%.2f\t%.2f\n", ev.N, ev.At, ev.Sockets, ev.PostMs, ev.FirstMs, ev.LastMs)
		}
		tw.Flush()
		b.WriteString("\n")
	}
	if len(r.Server) > 0 {
		b.WriteString("SERVER   from /metrics\n")
		fmt.Fprintf(tw, "  instance\tpoint\tRSS MiB\theap inuse MiB\tstacks MiB\tgoroutines\tsockets\tcpu s\tframes out\tdropped\tslow cut\n")
		for _, s := range r.Server {
			if s.Err != "" {
				fmt.Fprintf(tw, "  %s\t%s\terror: %s\n", s.Target, s.Point, s.Err)
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t%.2f\t%.0f\t%.0f\t%.0f\n", s.Target, s.Point,
				s.Value("process_resident_memory_bytes")/(1<<20), s.Value("go_memstats_heap_inuse_bytes")/(1<<20),
				s.Value("go_memstats_stack_inuse_bytes")/(1<<20), s.Value("go_goroutines"), s.Value("supportd_ws_sockets_open"),
				s.Value("process_cpu_seconds_total"), s.Value("supportd_ws_frames_delivered_total"),
				s.Value("supportd_ws_frames_dropped_total"), s.Value("supportd_ws_slow_disconnects_total"))
		}
		tw.Flush()
		b.WriteString("\n")
	}
	if f := r.Frames; f != nil {
		fmt.Fprintf(&b, "FRAMES   %d frames (%.1f MiB): %d events, %d presence, %d errors, %d resets, %d unparsed; sockets without hello: %d; cut by the server: %s\n\n",
			f.Frames, float64(f.Bytes)/(1<<20), f.Events, f.Presence, f.Errors, f.Resets, f.Unparsed, f.NoHello, FormatCodes(f.Disconnects))
	}
	verdict := "OK"
	if !r.Pass {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "LEDGER   %s over %d sockets (received %d events, %d of them %s): %s\n",
		verdict, r.Ledger.Sockets, r.Ledger.Received, r.Ledger.Foreign, r.ForeignAre, r.Ledger)
	for _, p := range r.Problems {
		b.WriteString("  " + p + "\n")
	}
	b.WriteString("\n")
	t := r.Tool
	fmt.Fprintf(&b, "TOOL     CPU %.2fs user + %.2fs sys over %.1fs wall; max RSS %.0f MiB; GOMAXPROCS %d\n",
		t.UserS, t.SysS, t.WallS, t.MaxRSSMiB, t.GoMaxProcs)
	if t.MeasureWallS > 0 {
		fmt.Fprintf(&b, "         measured phase %.1fs: tool %.2f CPU s (%.2f cores)", t.MeasureWallS, t.MeasureCPUS, t.MeasureCores)
		if t.ServerCPUSeen {
			fmt.Fprintf(&b, ", server %.2f CPU s (%.2f cores)", t.ServerCPUS, t.ServerCores)
		}
		b.WriteString("\n")
		if t.MachineCores > 0 {
			fmt.Fprintf(&b, "         machine busy %.2f of %d cores; everything else (PostgreSQL, Redis, other processes) %.2f cores\n",
				t.MachineCores, runtime.NumCPU(), t.OtherCores)
		}
	}
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func distLine(d Dist) string {
	if d.N == 0 {
		return "-"
	}
	return fmt.Sprintf("n %d\tp50 %.2f\tp90 %.2f\tp99 %.2f\tmax %.2f", d.N, d.P50, d.P90, d.P99, d.Max)
}

func inline(p kvs) string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = x.K + "=" + show(x.V)
	}
	return strings.Join(parts, " ")
}

func show(v any) string {
	switch x := v.(type) {
	case float64:
		return fmt.Sprintf("%.2f", x)
	case time.Duration:
		return x.String()
	case map[string]int:
		return FormatCodes(x)
	}
	return fmt.Sprint(v)
}
