// Package faultproxy is a TCP proxy that tests and the load tool put between supportd
// and its PostgreSQL or Redis to make the link fail on purpose: black-holed (TCP alive,
// nothing flows), reset, or slow. It never touches the server behind it.
package faultproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Mode is what the proxy does to the bytes that cross it.
type Mode int

const (
	// Pass forwards everything, after the configured delay.
	Pass Mode = iota
	// Blackhole keeps every connection open and accepts new ones, but forwards
	// nothing in either direction: what a dead route or a frozen peer looks like.
	Blackhole
	// Reset closes every connection with a TCP RST and resets new ones at once.
	Reset
)

// chunk is the most one read moves before it is forwarded.
const chunk = 32 << 10

// Proxy forwards one local listener to one target address.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	mode  Mode
	delay time.Duration
	conns map[net.Conn]struct{}
	wake  chan struct{} // closed and replaced when the mode changes
	done  bool

	wg sync.WaitGroup
}

// Start listens on a free loopback port and forwards to target until Close.
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}, wake: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listen address ("127.0.0.1:port").
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set switches the mode; Reset also cuts the connections that are open now.
func (p *Proxy) Set(m Mode) {
	p.mu.Lock()
	p.mode = m
	close(p.wake)
	p.wake = make(chan struct{})
	var cut []net.Conn
	if m == Reset {
		for c := range p.conns {
			cut = append(cut, c)
		}
	}
	p.mu.Unlock()
	for _, c := range cut {
		resetConn(c)
	}
}

// SetDelay holds every forwarded chunk for d (0: no delay).
func (p *Proxy) SetDelay(d time.Duration) {
	p.mu.Lock()
	p.delay = d
	p.mu.Unlock()
}

// Close stops listening, cuts every connection and waits for the proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.done = true
	close(p.wake)
	p.wake = make(chan struct{})
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		mode, done := p.mode, p.done
		p.mu.Unlock()
		if done || mode == Reset {
			resetConn(c)
			continue
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve dials the target for one client connection and pumps both ways.
func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	if !p.track(client) {
		return
	}
	defer p.untrack(client)
	upstream, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		resetConn(client)
		return
	}
	if !p.track(upstream) {
		_ = upstream.Close()
		return
	}
	defer p.untrack(upstream)
	var pumps sync.WaitGroup
	pumps.Add(2)
	go func() { defer pumps.Done(); p.pump(upstream, client) }()
	go func() { defer pumps.Done(); p.pump(client, upstream) }()
	pumps.Wait()
}

// pump copies src to dst chunk by chunk, obeying the mode at each chunk. When either
// side fails both are closed, so the other pump ends too.
func (p *Proxy) pump(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, chunk)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.forward(dst, buf[:n]) {
			return
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				resetConn(dst)
			}
			return
		}
	}
}

// forward writes b once the mode lets it through: a black hole holds it (and the
// pump with it) until the mode changes; Reset or Close drops it.
func (p *Proxy) forward(dst net.Conn, b []byte) bool {
	for {
		p.mu.Lock()
		mode, delay, wake, done := p.mode, p.delay, p.wake, p.done
		p.mu.Unlock()
		switch {
		case done || mode == Reset:
			return false
		case mode == Blackhole:
			<-wake
			continue
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-wake:
				continue
			}
		}
		_, err := dst.Write(b)
		return err == nil
	}
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// resetConn closes c with an RST rather than a FIN, as a crashed peer or a middlebox would.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
