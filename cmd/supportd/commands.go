package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// healthcheckTimeout bounds `supportd healthcheck`, well inside compose's interval.
const healthcheckTimeout = 3 * time.Second

// usage is `supportd help`: every subcommand and every setting.
const usage = `supportd: the support-ticket server (REST + WebSockets).

Usage: supportd [command] [flags]

Commands:
  serve         run the server (the default): supportd serve [-addr :8080]
  migrate       apply the database migrations and exit (needs DATABASE_URL)
  token         print a bearer token: supportd token -role client|superAdmin [-name N] [-sub ID] [-ttl 24h]
  healthcheck   GET /readyz on this machine's ADDR port; exit 0 when ready, 1 otherwise
  version       print the version, the commit and the Go version
  help          print this help (also -h, --help)

Environment:
  ADDR              listen address (default :8080)
  DATABASE_URL      PostgreSQL URL; unset = dev mode (in memory, tokens printed at start)
  REDIS_URL         Redis URL; unset = events reach only this instance's sockets
  REDIS_PREFIX      prefix of every Redis key and channel
  JWT_SECRET        HS256 secret, at least 32 bytes; required with DATABASE_URL
  ALLOWED_ORIGINS   extra browser origins, comma-separated (same origin is always allowed)
  RATE_LIMIT        REST requests a second per caller (0 turns limiting off)
  RATE_BURST        REST burst per caller
  EVENT_RETENTION   how long events stay replayable (default 168h)
  DB_TIMEOUT        how long a request waits for PostgreSQL before 503 (default 5s)
  LOG_LEVEL         debug, info (default), warn or error
  DEMO              on or off: serve the demo pages at /demo/ (default: on in dev mode only)
  GITHUB_TOKEN, GITHUB_REPO, GITHUB_API_URL   GitHub issue creation (owner/name)
  GITHUB_WEBHOOK_SECRET  verifies GitHub's issues webhooks at POST /github/webhook
  WEBHOOK_LEASE     how long an instance holds a webhook unrenewed (default 15s, 1s-10m)
  PPROF_ADDR        serve net/http/pprof on this separate address (operators only)
  WS_DIRECT_WRITES  on (default) or off: off sends socket frames through the WebSocket library's own path
  WEBHOOK_PRIVATE   allow (default) or deny: deny keeps webhooks off private, loopback and link-local addresses

Documentation: docs/ in the repository; GET /openapi.json and /asyncapi.json on a server.
`

// wantsHelp reports whether args ask for help rather than for a command.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// printVersion is `supportd version`: what go build recorded in the binary.
func printVersion(w io.Writer) error {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return fmt.Errorf("no build information in this binary")
	}
	version, commit, modified := info.Main.Version, "unknown", ""
	if version == "" {
		version = "(devel)"
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (modified)"
			}
		}
	}
	fmt.Fprintf(w, "supportd %s\ncommit %s%s\n%s\n", version, commit, modified, info.GoVersion)
	return nil
}

// healthcheck is `supportd healthcheck`, for images without a shell or curl: it asks
// this machine's server (the port of addr, ADDR's) whether it is ready.
func healthcheck(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ADDR: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(host, port) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", url, res.StatusCode)
	}
	return nil
}
