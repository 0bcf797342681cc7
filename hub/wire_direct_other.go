//go:build !linux

package hub

import "syscall"

// directWriter allows no direct writes off Linux: every batch goes through the
// socket's flusher.
type directWriter struct{}

func (c *wireConn) initDirect(syscall.RawConn) {}

func (c *wireConn) tryWriteFrames([][]byte) directResult { return directNone }

func (d *directWriter) wroteOther() {}
