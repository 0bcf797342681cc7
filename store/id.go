package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"
)

// ID is a 24-character lower-case hex identifier in the ObjectId layout, so ids made
// here sort roughly by creation time and look like the ones of the API we reproduce.
type ID string

// ParseID accepts exactly 24 lower-case hex characters.
func ParseID(s string) (ID, error) {
	if len(s) != 24 {
		return "", fmt.Errorf("id %q: want 24 hex characters", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("id %q: want lower-case hex", s)
		}
	}
	return ID(s), nil
}

// IDGen makes IDs: 4 bytes of seconds, 5 random bytes fixed per generator, and a
// 3-byte counter, as ObjectIds are made. One generator per store, never shared state.
type IDGen struct {
	random  [5]byte
	counter atomic.Uint32
}

// NewIDGen seeds a generator with fresh random bytes.
func NewIDGen() *IDGen {
	g := &IDGen{}
	var seed [4]byte
	_, _ = rand.Read(g.random[:])
	_, _ = rand.Read(seed[:])
	g.counter.Store(binary.BigEndian.Uint32(seed[:]) & 0xffffff)
	return g
}

// New returns the next ID.
func (g *IDGen) New(now time.Time) ID {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(now.Unix()))
	copy(b[4:9], g.random[:])
	c := g.counter.Add(1)
	b[9], b[10], b[11] = byte(c>>16), byte(c>>8), byte(c)
	return ID(hex.EncodeToString(b[:]))
}
