// Package scenario is supportbench's scenarios (fanout, broadcast, sockets, rest,
// storm, slow, abuse, presence, listen, webhooks): each parses its flags, sets up its
// users, sockets, tickets or webhooks on a running supportd, drives it within
// -max-time, and returns its report with the ledger checked.
package scenario

import (
	"context"

	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

// Command is a scenario as a subcommand: it parses its flags, runs, and returns its report.
type Command struct {
	Name, Summary string
	Run           func(ctx context.Context, args []string, getenv func(string) string) (*report.Report, *Common, error)
}

// List is the scenarios, in the order usage shows them.
func List() []Command {
	return []Command{
		{"fanout", "client and agent sockets; replies at a rate to random tickets; POST → frame latency", fanoutCmd},
		{"broadcast", "many agent sockets; one event at an interval; POST → frame on every socket", broadcastCmd},
		{"sockets", "hold idle sockets; connect rate and server memory and goroutines per socket", socketsCmd},
		{"rest", "REST load, closed or open loop: reads, writes or a mix; req/s and latency by kind, answers by code", restCmd},
		{"storm", "every socket drops and reconnects with lastEventId; time to hello and to replayed", stormCmd},
		{"slow", "a share of sockets stop reading; when the server cuts them, and the healthy sockets' latency", slowCmd},
		{"abuse", "four attacks (metrics labels, big lists, short-word search, seen flood) next to a well-behaved tenant: its latency, server RSS, series", abuseCmd},
		{"presence", "distinct agents connect, then some leave; connect time, presence frames and bytes per socket, every view converged to who is online", presenceCmd},
		{"listen", "more sockets for the clients of another process's -run; checked against the server's event log", listenCmd},
		{"webhooks", "webhooks with their own endpoints, replies at a rate, one endpoint down a while; every event to every webhook, in order, and the lag", webhooksCmd},
	}
}
