package postgres

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// linkMode is what a link does to its connections' bytes.
type linkMode int32

const (
	linkPass linkMode = iota
	// linkCut closes each connection at its next read or write: the server sees the
	// client go (and rolls back what it had not committed), the client an error.
	linkCut
	// linkLoseAnswer lets writes through but closes the connection at its next read:
	// what was sent (a COMMIT) runs on the server, its answer never arrives.
	linkLoseAnswer
	// linkVanish swallows writes, discards reads until pgx's deadline, and keeps the
	// socket open when pgx closes it: the client's host went dark without a FIN, so
	// the server holds the session until its own timeouts end it.
	linkVanish
)

// link sits under a DB's connections (its dial function) so that a test can break
// them at an exact step, such as a beforeCommit hook. (The TCP proxy of the
// end-to-end tests is not importable from here.)
type link struct {
	mode  atomic.Int32
	mu    sync.Mutex
	conns []net.Conn // every socket, closed when the test ends (dark ones only then)
}

func (l *link) set(m linkMode) { l.mode.Store(int32(m)) }
func (l *link) get() linkMode  { return linkMode(l.mode.Load()) }

// openLinked opens a migrated-store DB on url whose connections pass through a new
// link, with opts.
func openLinked(tb testing.TB, url string, opts Options) (*DB, *link) {
	tb.Helper()
	cfg, err := poolConfig(url, opts)
	if err != nil {
		tb.Fatal(err)
	}
	l := &link{}
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
		return &linkConn{Conn: c, l: l}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := openPool(ctx, cfg)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		// pgx drains a connection it gave up on for up to 15 s before the pool's
		// Close returns: end every socket first.
		l.set(linkCut)
		l.mu.Lock()
		for _, c := range l.conns {
			_ = c.Close()
		}
		l.mu.Unlock()
		db.Close()
	})
	return db, l
}

type linkConn struct {
	net.Conn
	l *link
}

func (c *linkConn) Write(b []byte) (int, error) {
	switch c.l.get() {
	case linkCut:
		_ = c.Conn.Close()
	case linkVanish:
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *linkConn) Read(b []byte) (int, error) {
	switch c.l.get() {
	case linkCut, linkLoseAnswer:
		_ = c.Conn.Close()
	case linkVanish:
		// Whatever the server says is lost; the read ends at pgx's deadline.
		scratch := make([]byte, len(b))
		for {
			if _, err := c.Conn.Read(scratch); err != nil {
				return 0, err
			}
		}
	}
	return c.Conn.Read(b)
}

func (c *linkConn) Close() error {
	if c.l.get() == linkVanish {
		return nil // no FIN: the socket stays open until the test ends
	}
	return c.Conn.Close()
}
