package report

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

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
	r.writeSetup(&b, tw)
	r.writeLatency(&b, tw)
	r.writeServer(&b, tw)
	r.writeVerdict(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSetup writes the figures, and how connecting, the setup and the writes went.
func (r *Report) writeSetup(b *strings.Builder, tw *tabwriter.Writer) {
	if len(r.Figures) > 0 {
		b.WriteString("FIGURES\n")
		for _, f := range r.Figures {
			fmt.Fprintf(tw, "  %s\t%s\n", f.K, show(f.V))
		}
		tw.Flush()
		b.WriteString("\n")
	}
	if c := r.Connect; c != nil {
		fmt.Fprintf(b, "CONNECT  %d/%d sockets open in %.2fs (%.0f/s); failed: %s\n", c.Opened, c.Attempted, c.ElapsedS, c.Rate, FormatCodes(c.Failed))
		fmt.Fprintf(tw, "  handshake ms\t%s\n", distLine(c.Handshake))
		fmt.Fprintf(tw, "  dial→hello ms\t%s\n", distLine(c.Hello))
		tw.Flush()
		b.WriteString("\n")
	}
	if len(r.Setup) > 0 {
		b.WriteString("SETUP    " + inline(r.Setup) + "\n\n")
	}
	if w := r.Writes; w != nil {
		fmt.Fprintf(b, "WRITES   %d planned, %d sent, %d skipped in %.2fs: %.1f/s (target %.1f/s); answers: %s\n",
			w.Planned, w.Sent, w.Skipped, w.ElapsedS, w.AchievedRate, w.TargetRate, FormatCodes(w.Codes))
		fmt.Fprintf(tw, "  POST ms\t%s\n", distLine(w.Post))
		tw.Flush()
		b.WriteString("\n")
	}
}

// writeLatency writes the latency tables: by name, by second, by event.
func (r *Report) writeLatency(b *strings.Builder, tw *tabwriter.Writer) {
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
}

// writeServer writes the servers' samples.
func (r *Report) writeServer(b *strings.Builder, tw *tabwriter.Writer) {
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
}

// writeVerdict writes what the sockets received, the ledger, the tool's cost and the notes.
func (r *Report) writeVerdict(b *strings.Builder) {
	if f := r.Frames; f != nil {
		fmt.Fprintf(b, "FRAMES   %d frames (%.1f MiB): %d events, %d presence, %d errors, %d resets, %d unparsed; sockets without hello: %d; cut by the server: %s\n\n",
			f.Frames, float64(f.Bytes)/(1<<20), f.Events, f.Presence, f.Errors, f.Resets, f.Unparsed, f.NoHello, FormatCodes(f.Disconnects))
	}
	verdict := "OK"
	if !r.Pass {
		verdict = "FAILED"
	}
	fmt.Fprintf(b, "LEDGER   %s over %d sockets (received %d events, %d of them %s): %s\n",
		verdict, r.Ledger.Sockets, r.Ledger.Received, r.Ledger.Foreign, r.ForeignAre, r.Ledger)
	for _, p := range r.Problems {
		b.WriteString("  " + p + "\n")
	}
	b.WriteString("\n")
	t := r.Tool
	fmt.Fprintf(b, "TOOL     CPU %.2fs user + %.2fs sys over %.1fs wall; max RSS %.0f MiB; GOMAXPROCS %d\n",
		t.UserS, t.SysS, t.WallS, t.MaxRSSMiB, t.GoMaxProcs)
	if t.MeasureWallS > 0 {
		fmt.Fprintf(b, "         measured phase %.1fs: tool %.2f CPU s (%.2f cores)", t.MeasureWallS, t.MeasureCPUS, t.MeasureCores)
		if t.ServerCPUSeen {
			fmt.Fprintf(b, ", server %.2f CPU s (%.2f cores)", t.ServerCPUS, t.ServerCores)
		}
		b.WriteString("\n")
		if t.MachineCores > 0 {
			fmt.Fprintf(b, "         machine busy %.2f of %d cores; everything else (PostgreSQL, Redis, other processes) %.2f cores\n",
				t.MachineCores, runtime.NumCPU(), t.OtherCores)
		}
	}
	for _, n := range r.Notes {
		b.WriteString("note: " + n + "\n")
	}
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
