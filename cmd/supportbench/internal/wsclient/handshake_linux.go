//go:build linux

package wsclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// wsGUID is RFC 6455's handshake constant.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// dialRaw opens s with a handshake of the tool's own and hands it to the Poller.
func (d *Dialer) dialRaw(ctx context.Context, s *Socket) error {
	ctx, cancel := context.WithTimeout(ctx, DialTimeout)
	defer cancel()
	u, err := url.Parse(d.URLs[s.Target])
	if err != nil {
		return err
	}
	if u.Scheme != "ws" {
		return errors.New("-reader epoll: plain ws:// targets only")
	}
	s.dialStart = time.Now()
	conn, err := d.DialTCP(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close() // the Poller reads a duplicate of its descriptor
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	k := base64.StdEncoding.EncodeToString(key[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + k +
		"\r\nAuthorization: " + s.Who.Bearer + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		return err
	}
	head, early, err := readHead(conn)
	if err != nil {
		return err
	}
	status, accept := parseHead(head)
	s.DialDur = time.Since(s.dialStart)
	if status != 101 {
		return &HandshakeError{Status: status}
	}
	sum := sha1.Sum([]byte(k + wsGUID))
	if accept != base64.StdEncoding.EncodeToString(sum[:]) {
		return errors.New("handshake: bad Sec-WebSocket-Accept")
	}
	fd, err := dupFD(conn)
	if err != nil {
		return err
	}
	s.Done = make(chan struct{})
	s.raw = &rawConn{s: s, d: d, fd: fd}
	if err := d.Poll.add(s.raw, early); err != nil {
		syscall.Close(fd)
		s.raw = nil
		return err
	}
	return nil
}

// readHead reads the handshake's answer up to its blank line; early is what came
// after it (the first frames).
func readHead(conn net.Conn) (head, early []byte, err error) {
	buf := make([]byte, 0, 1024)
	tmp := make([]byte, 1024)
	for {
		n, err := conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			return buf[:i], bytes.Clone(buf[i+4:]), nil
		}
		if err != nil {
			return nil, nil, err
		}
		if len(buf) > 16<<10 {
			return nil, nil, errors.New("handshake: answer too long")
		}
	}
}

func parseHead(head []byte) (status int, accept string) {
	lines := bytes.Split(head, []byte("\r\n"))
	if f := bytes.Fields(lines[0]); len(f) >= 2 {
		status, _ = strconv.Atoi(string(f[1]))
	}
	for _, l := range lines[1:] {
		name, value, ok := bytes.Cut(l, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte("Sec-WebSocket-Accept")) {
			accept = string(bytes.TrimSpace(value))
		}
	}
	return status, accept
}

// dupFD duplicates conn's descriptor in non-blocking mode, for the Poller.
func dupFD(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, errors.New("not a syscall.Conn")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := raw.Control(func(f uintptr) { fd, derr = syscall.Dup(int(f)) }); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}
