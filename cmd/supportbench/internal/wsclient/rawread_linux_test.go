//go:build linux

package wsclient

import (
	"bytes"
	"syscall"
	"testing"
)

func TestNextFrameLengths(t *testing.T) {
	for _, size := range []int{0, 5, 125, 126, 300, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte("x"), size)
		var f []byte
		switch {
		case size < 126:
			f = append([]byte{0x81, byte(size)}, payload...)
		case size <= 0xffff:
			f = append([]byte{0x81, 126, byte(size >> 8), byte(size)}, payload...)
		default:
			f = append([]byte{0x81, 127, 0, 0, 0, 0, byte(size >> 24), byte(size >> 16), byte(size >> 8), byte(size)}, payload...)
		}
		// Every prefix is incomplete; the whole frame parses with what follows kept.
		for _, cut := range []int{0, 1, len(f) / 2, len(f) - 1} {
			if cut >= len(f) {
				continue
			}
			if _, _, _, n, err := nextFrame(f[:cut]); n != 0 || err != nil {
				t.Fatalf("size %d, %d of %d bytes: got n=%d err=%v, want incomplete", size, cut, len(f), n, err)
			}
		}
		fin, op, got, n, err := nextFrame(append(f, 0x81))
		if err != nil || !fin || op != 1 || n != len(f) || !bytes.Equal(got, payload) {
			t.Fatalf("size %d: got fin=%v op=%d n=%d (want %d) payload %d bytes, err %v", size, fin, op, n, len(f), len(got), err)
		}
	}
}

func TestNextFrameRefusesMaskedServerFrame(t *testing.T) {
	if _, _, _, _, err := nextFrame([]byte{0x81, 0x81, 1, 2, 3, 4, 'x'}); err == nil {
		t.Fatal("a masked server frame parsed, want an error")
	}
}

func TestParseHead(t *testing.T) {
	status, accept := parseHead([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nsec-websocket-accept:  abc= \r\nConnection: Upgrade"))
	if status != 101 || accept != "abc=" {
		t.Fatalf("got %d %q, want 101 \"abc=\"", status, accept)
	}
}

// Frames written in pieces of every size arrive whole, each once: the rest of a
// begun frame is read into its pending buffer (see readable).
func TestRawReaderReassemblesFramesAcrossReads(t *testing.T) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[1])
	if err := syscall.SetNonblock(fds[0], true); err != nil {
		t.Fatal(err)
	}
	rx := NewReceiver("t", 0)
	rc := &rawConn{s: &Socket{RX: rx}, fd: fds[0]}
	defer syscall.Close(fds[0])
	sizes := []int{5, 70000, 1, 300, 200000, 126, 65536}
	var stream []byte
	total := 0
	for i, size := range sizes {
		payload := bytes.Repeat([]byte{'a' + byte(i)}, size)
		switch {
		case size < 126:
			stream = append(stream, 0x81, byte(size))
		case size <= 0xffff:
			stream = append(stream, 0x81, 126, byte(size>>8), byte(size))
		default:
			stream = append(stream, 0x81, 127, 0, 0, 0, 0, byte(size>>24), byte(size>>16), byte(size>>8), byte(size))
		}
		stream = append(stream, payload...)
		total += size
	}
	buf := make([]byte, 4096)
	for i, piece := 0, 1; len(stream) > 0; i, piece = i+1, piece*3%9973+1 {
		n := min(piece, len(stream))
		if _, err := syscall.Write(fds[1], stream[:n]); err != nil {
			t.Fatal(err)
		}
		stream = stream[n:]
		for range 1 + n/len(buf) {
			rc.readable(nil, buf)
		}
	}
	if got := rx.Frames.Load(); got != int64(len(sizes)) {
		t.Fatalf("%d frames handled, want %d", got, len(sizes))
	}
	if got := rx.Bytes.Load(); got != int64(total) {
		t.Fatalf("%d payload bytes handled, want %d", got, total)
	}
}
