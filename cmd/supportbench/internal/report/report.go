// Package report is what a supportbench run prints: figures, latency
// distributions, the servers' /metrics samples, the ledger's verdict and what the
// tool itself cost, as a table or JSON.
package report

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"runtime"
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
