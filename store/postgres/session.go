package postgres

import (
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// statementMargin is how much longer the server lets a statement run than the
	// client waits for it: the client's deadline fires first and answers 503 (the
	// server-side limit is for a client that is gone and cannot cancel).
	statementMargin = time.Second
	// maxIdleInTx caps idle_in_transaction_session_timeout: supportd never waits
	// between the statements of a transaction (LinkIssue, which waits for GitHub,
	// lifts it for its own), so a transaction idle this long belongs to a client
	// that vanished, and its row locks must not stall the other instances for long.
	maxIdleInTx = 5 * time.Second
	// keepAlive is how often a quiet connection is probed, on both sides: a link
	// that went dark is given up after a few probes (idle + count*interval,
	// about 20 s) instead of the kernel's two hours.
	keepAlive      = 5 * time.Second
	keepAliveCount = 3
)

// unlimited is a copy of cfg, a config limitSessions set, for work that may rightly
// run long (migrations): no deadline, no statement or idle-in-transaction limit, a
// small pool.
func unlimited(cfg *pgxpool.Config) *pgxpool.Config {
	c := cfg.Copy()
	c.MaxConns = 2
	c.ConnConfig.Tracer = nil
	c.ConnConfig.RuntimeParams["statement_timeout"] = "0"
	c.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = "0"
	return c
}

// limitSessions bounds every use of cfg's pool by timeout (see deadline) and sets the
// server-side limits on supportd's sessions that a vanished client cannot hold up:
// statement_timeout, idle_in_transaction_session_timeout and TCP keepalives. A
// parameter the URL sets itself is kept.
func limitSessions(cfg *pgxpool.Config, timeout time.Duration) {
	cc := cfg.ConnConfig
	cc.Tracer = deadline{timeout: timeout}
	params := map[string]time.Duration{
		"statement_timeout":                   timeout + statementMargin,
		"idle_in_transaction_session_timeout": min(max(timeout, time.Second), maxIdleInTx),
	}
	for name, d := range params {
		if _, ok := cc.RuntimeParams[name]; !ok {
			cc.RuntimeParams[name] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
	for name, v := range map[string]int{
		"tcp_keepalives_idle":     int(keepAlive.Seconds()),
		"tcp_keepalives_interval": int(keepAlive.Seconds()),
		"tcp_keepalives_count":    keepAliveCount,
	} {
		if _, ok := cc.RuntimeParams[name]; !ok {
			cc.RuntimeParams[name] = strconv.Itoa(v)
		}
	}
	if cc.ConnectTimeout <= 0 || cc.ConnectTimeout > timeout {
		cc.ConnectTimeout = timeout
	}
	dialer := &net.Dialer{
		Timeout: cc.ConnectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{
			Enable: true, Idle: keepAlive, Interval: keepAlive, Count: keepAliveCount,
		},
	}
	cc.DialFunc = dialer.DialContext
}
