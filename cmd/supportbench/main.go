// Command supportbench drives a running supportd the way its users do: client and
// support-agent WebSockets, REST writes, and checks that every socket received
// exactly the events it should have. It prints what it measured (a table, or JSON
// with -json) and what it cost itself.
//
//	supportbench fanout    -clients 1000 -admins 10 -rate 200 -duration 20s
//	supportbench broadcast -admins 10000 -events 20 -interval 1s
//	supportbench sockets   -clients 8000 -admins 2000 -hold 20s
//	supportbench listen    -run abc123 -clients 5000 -admins 5000   (next to a writer started with -run abc123)
//
// Every scenario is bounded in time and count and stops by itself; it talks only
// to the -url instances. See BENCHMARKS.md for the figures measured with it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// scenario is a subcommand: it parses its flags, runs, and returns its report.
type scenario struct {
	name, summary string
	run           func(ctx context.Context, args []string, getenv func(string) string) (*report, *common, error)
}

// scenarios lists the subcommands.
func scenarios() []scenario {
	return []scenario{
		{"fanout", "client and agent sockets; replies at a rate to random tickets; POST → frame latency", fanoutCmd},
		{"broadcast", "many agent sockets; one event at an interval; POST → frame on every socket", broadcastCmd},
		{"sockets", "hold idle sockets; connect rate and server memory and goroutines per socket", socketsCmd},
		{"rest", "REST load, closed or open loop: reads, writes or a mix; req/s and latency by kind, answers by code", restCmd},
		{"storm", "every socket drops and reconnects with lastEventId; time to hello and to replayed", stormCmd},
		{"slow", "a share of sockets stop reading; when the server cuts them, and the healthy sockets' latency", slowCmd},
		{"listen", "more sockets for the clients of another process's -run; checked against the server's event log", listenCmd},
		{"webhooks", "webhooks with their own endpoints, replies at a rate, one endpoint down a while; every event to every webhook, in order, and the lag", webhooksCmd},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run returns the exit code: 0 done and the ledger clean, 1 the ledger check
// failed, the run was interrupted (-max-time, a signal) or could not run, 2 bad
// usage.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		return 2
	}
	if args[0] == "proxy" {
		return proxyCmd(ctx, args[1:], stdout, stderr)
	}
	for _, sc := range scenarios() {
		if sc.name != args[0] {
			continue
		}
		r, c, err := sc.run(ctx, args[1:], getenv)
		stopProfile()
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		if c == nil {
			fmt.Fprintln(stderr, "supportbench:", err)
			return 2
		}
		if r != nil {
			if werr := r.write(stdout, c.json); werr != nil {
				fmt.Fprintln(stderr, "supportbench:", werr)
			}
			if c.jsonOut != "" {
				if werr := writeJSONFile(c.jsonOut, r); werr != nil {
					fmt.Fprintln(stderr, "supportbench:", werr)
				}
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "supportbench:", err)
			return 1
		}
		if !r.Pass || r.Cut {
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "supportbench: unknown scenario %q\n", args[0])
	usage(stderr)
	return 2
}

func writeJSONFile(path string, r *report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := r.write(f, true); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: supportbench <scenario> [flags]   (supportbench <scenario> -h for its flags)")
	fmt.Fprintln(w, "scenarios:")
	for _, sc := range scenarios() {
		fmt.Fprintf(w, "  %-10s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "proxy", "not a scenario: a TCP proxy whose link faults.sh breaks (pass, blackhole, reset, delay)")
}
