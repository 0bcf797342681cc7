//go:build !linux

package wsclient

import (
	"context"
	"errors"
)

// errNoEpoll is why -reader epoll fails off Linux.
func errNoEpoll() error { return errors.New("-reader epoll: Linux only") }

type rawConn struct{}

func (*rawConn) closeNormal() {}
func (*rawConn) shutdown()    {}

// Poller is the epoll reader: Linux only.
type Poller struct{}

// NewPoller fails off Linux.
func NewPoller(int) (*Poller, error) { return nil, errNoEpoll() }
func (*Poller) close()               {}

func (*Dialer) dialRaw(context.Context, *Socket) error { return errNoEpoll() }
