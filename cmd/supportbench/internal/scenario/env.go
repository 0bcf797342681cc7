package scenario

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/identity"
	"github.com/supportd/supportd/cmd/supportbench/internal/report"
	"github.com/supportd/supportd/cmd/supportbench/internal/wsclient"
)

// Common are the flags every scenario takes; the command line prints the report as
// they say.
type Common struct {
	urls        string
	secret      string
	JSON        bool
	JSONOut     string
	sources     int
	connectRate float64
	connectConc int
	maxTime     time.Duration
	drain       time.Duration
	settle      time.Duration
	seed        uint64
	run         string
	cpuProfile  string
	procs       int
	reader      string
	getenv      func(string) string
}

func commonFlags(fs *flag.FlagSet, getenv func(string) string) *Common {
	c := &Common{}
	fs.StringVar(&c.urls, "url", "http://127.0.0.1:8080", "base URL(s) of running supportd instances, comma separated; sockets are spread over them, REST writes go to the first")
	fs.StringVar(&c.secret, "secret", "", "the server's JWT_SECRET, to mint HS256 tokens (default $JWT_SECRET)")
	c.getenv = getenv
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.StringVar(&c.JSONOut, "json-out", "", "also write the report as JSON to this file")
	fs.IntVar(&c.sources, "sources", 32, "spread connections over this many source addresses 127.0.0.2… (loopback targets only; 0: let the kernel choose)")
	fs.Float64Var(&c.connectRate, "connect-rate", 2000, "socket opens per second")
	fs.IntVar(&c.connectConc, "connect-concurrency", 64, "socket opens in flight at once")
	fs.DurationVar(&c.maxTime, "max-time", 10*time.Minute, "hard bound on the whole run; the scenario stops by itself long before in normal runs")
	fs.DurationVar(&c.drain, "drain", 5*time.Second, "after the last write, how long to wait at most for the frames still due")
	fs.DurationVar(&c.settle, "settle", 30*time.Second, "after connecting, how long to wait at most for the sockets to go quiet (hello, presence)")
	fs.Uint64Var(&c.seed, "seed", 0, "random seed for the choice of tickets (0: random)")
	fs.StringVar(&c.run, "run", "", "run id put in names, people's ids and message nonces (default: random); processes given the same -run mint the same clients and agents")
	fs.IntVar(&c.procs, "procs", 0, "GOMAXPROCS of the tool (0: Go's default, every core); 1 leaves the other cores to the server when both share a machine")
	fs.StringVar(&c.reader, "reader", "go", "how the tool reads its sockets: go (a goroutine per socket, through the WebSocket library) or epoll (broadcast, fanout, listen and presence only: a few goroutines read every socket through epoll; ~9 µs of tool CPU per frame here against ~14 µs)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write the tool's own CPU profile of the measured phase to this file")
	return c
}

// env is what every scenario works with: targets, tokens, HTTP clients.
type env struct {
	c       *Common
	targets []*url.URL
	mint    *identity.Minter
	rest    *http.Client     // REST and /metrics; keep-alive
	ws      *wsclient.Dialer // the run's sockets
	prof    *report.Profile  // -cpuprofile
}

// needGoReader refuses -reader epoll for a scenario whose sockets write, pause or
// reconnect: the epoll reader only reads. newEnv checks the flag's value.
func (c *Common) needGoReader(scenario string) error {
	if c.reader == "epoll" {
		return fmt.Errorf("%s: -reader epoll is for broadcast, fanout, listen and presence, whose sockets only read", scenario)
	}
	return nil
}

// close stops what the env runs besides the scenario.
func (e *env) close() {
	e.prof.Stop()
	if e.ws != nil {
		e.ws.Close()
	}
}

func newEnv(c *Common, tokenTTL time.Duration) (*env, error) {
	if c.run == "" {
		b := make([]byte, 3)
		_, _ = rand.Read(b)
		c.run = hex.EncodeToString(b)
	}
	for _, r := range c.run {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z') {
			return nil, fmt.Errorf("-run must be lower-case letters and digits")
		}
	}
	if c.seed == 0 {
		c.seed = mrand.Uint64()
	}
	if c.procs > 0 {
		runtime.GOMAXPROCS(c.procs)
	}
	e := &env{c: c}
	var err error
	if e.targets, err = parseTargets(c.urls); err != nil {
		return nil, err
	}
	if c.secret == "" {
		c.secret = c.getenv("JWT_SECRET")
	}
	if c.maxTime <= 0 {
		return nil, errors.New("-max-time must be positive")
	}
	if e.mint, err = identity.NewMinter(c.secret, tokenTTL); err != nil {
		return nil, err
	}

	var srcs []net.IP
	if c.sources > 0 && allLoopbackV4(e.targets) {
		for i := 0; i < c.sources && i < 250; i++ {
			srcs = append(srcs, net.IPv4(127, 0, 0, byte(2+i)))
		}
	}
	// Connections only ever go to the URLs given: no proxy from the environment.
	e.rest = &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         sourceDialer(srcs),
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}, Timeout: 30 * time.Second}
	if e.ws, err = newDialer(c.reader, sourceDialer(srcs), e.targets); err != nil {
		return nil, err
	}
	// Last: nothing after it can fail and leave the file open.
	if c.cpuProfile != "" {
		if e.prof, err = report.OpenProfile(c.cpuProfile); err != nil {
			e.close()
			return nil, err
		}
	}
	return e, nil
}

// parseTargets reads -url: base URLs, comma separated.
func parseTargets(urls string) ([]*url.URL, error) {
	var targets []*url.URL
	for _, s := range strings.Split(urls, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("-url %q: want http(s)://host:port", s)
		}
		u.Path = strings.TrimSuffix(u.Path, "/")
		targets = append(targets, u)
	}
	if len(targets) == 0 {
		return nil, errors.New("-url: at least one base URL")
	}
	return targets, nil
}

// newDialer opens the sockets of a run on targets, read as -reader says.
func newDialer(reader string, dialTCP func(ctx context.Context, network, addr string) (net.Conn, error), targets []*url.URL) (*wsclient.Dialer, error) {
	d := &wsclient.Dialer{DialTCP: dialTCP}
	for _, t := range targets {
		d.URLs = append(d.URLs, wsURL(t))
	}
	switch reader {
	case "go":
	case "epoll":
		p, err := wsclient.NewPoller(runtime.GOMAXPROCS(0))
		if err != nil {
			return nil, err
		}
		d.Poll = p
	default:
		return nil, fmt.Errorf("-reader %q: want go or epoll", reader)
	}
	d.HTTP = &http.Client{Transport: &http.Transport{
		Proxy:              nil,
		DialContext:        dialTCP,
		DisableCompression: true,
		// The handshake's buffers stay with the socket: keep them small.
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
	}}
	return d, nil
}

// allLoopbackV4 says whether every target is an IPv4 loopback address (or
// localhost), where source addresses 127.0.0.x can be used.
func allLoopbackV4(us []*url.URL) bool {
	for _, u := range us {
		h := u.Hostname()
		if h == "localhost" {
			continue
		}
		ip := net.ParseIP(h)
		if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
			return false
		}
	}
	return true
}

// sourceDialer dials from the source addresses in turn, so that the ephemeral
// port range of one address does not bound the number of sockets.
func sourceDialer(srcs []net.IP) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if len(srcs) == 0 {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1}
		return d.DialContext
	}
	dialers := make([]*net.Dialer, len(srcs))
	for i, ip := range srcs {
		dialers[i] = &net.Dialer{Timeout: 10 * time.Second, KeepAlive: -1, LocalAddr: &net.TCPAddr{IP: ip}}
	}
	var next atomic.Uint64
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if network == "tcp" {
			network = "tcp4"
		}
		return dialers[next.Add(1)%uint64(len(dialers))].DialContext(ctx, network, addr)
	}
}

// target returns the base URL for the i-th socket (round robin).
func (e *env) target(i int) int { return i % len(e.targets) }

// wsURL is the WebSocket endpoint of base URL t.
func wsURL(t *url.URL) string {
	u := *t
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path += "/ws"
	return u.String()
}

// checkSockets refuses to open more sockets than this process may hold.
func checkSockets(n int) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return nil
	}
	if uint64(n)+256 > rl.Cur {
		return fmt.Errorf("%d sockets need about %d open files, this process may open %d: raise `ulimit -n` or run several supportbench processes", n, n+256, rl.Cur)
	}
	return nil
}

// newReport starts the report of a run of scenario on e.
func newReport(e *env, scenario string) *report.Report {
	return report.New(scenario, e.c.run, e.targets, allLoopbackV4(e.targets), e.prof)
}
