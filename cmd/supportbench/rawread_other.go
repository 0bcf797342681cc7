//go:build !linux

package main

import (
	"context"
	"errors"
)

// errNoEpoll is why -reader epoll fails off Linux.
func errNoEpoll() error { return errors.New("-reader epoll: Linux only") }

type rawConn struct{}

func (*rawConn) closeNormal() {}
func (*rawConn) shutdown()    {}

type poller struct{}

func newPoller(int) (*poller, error) { return nil, errNoEpoll() }
func (*poller) close()               {}

func (e *env) dialRaw(context.Context, *socket) error { return errNoEpoll() }
