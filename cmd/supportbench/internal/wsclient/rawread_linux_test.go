//go:build linux

package wsclient

import (
	"bytes"
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
