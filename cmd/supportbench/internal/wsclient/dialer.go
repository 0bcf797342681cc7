package wsclient

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
)

// Dialer opens the sockets of a run, and tells their readers whether the tool
// itself closed them.
type Dialer struct {
	HTTP    *http.Client                                                      // handshakes through the WebSocket library; each connection is taken over
	DialTCP func(ctx context.Context, network, addr string) (net.Conn, error) // the epoll reader's connections
	URLs    []string                                                          // the /ws URL of each target
	Poll    *Poller                                                           // the epoll reader, with -reader epoll; nil: a goroutine per socket
	closing atomic.Bool                                                       // set once the tool starts closing its own sockets
}

// Open opens s with the run's reader and starts reading it.
func (d *Dialer) Open(ctx context.Context, s *Socket) error {
	if d.Poll != nil {
		return d.dialRaw(ctx, s)
	}
	if err := d.Dial(ctx, s, ""); err != nil {
		return err
	}
	go s.readLoop(d)
	return nil
}

// Reopen opens s again, through the WebSocket library, with query
// ("?lastEventId=12") added to the URL, and starts reading it. s keeps what it
// received before: its ledger sees both connections as one.
func (d *Dialer) Reopen(ctx context.Context, s *Socket, query string) error {
	s.HelloAt.Store(0)
	if err := d.Dial(ctx, s, query); err != nil {
		return err
	}
	go s.readLoop(d)
	return nil
}

// Close stops the epoll reader's loops.
func (d *Dialer) Close() {
	if d.Poll != nil {
		d.Poll.close()
	}
}
