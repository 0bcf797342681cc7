package main

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	roleClient = "client"
	roleAdmin  = "superAdmin"
	// minSecretLen mirrors the server: a shorter JWT_SECRET never signs a token it
	// would accept.
	minSecretLen = 32
)

// identity is one user of supportd: a client account or a support agent.
type identity struct {
	ID     string // 24 lower-case hex, the token's sub
	Name   string
	Role   string
	bearer string // "Bearer <jwt>"
}

func (w *identity) admin() bool { return w.Role == roleAdmin }

// minter makes ids and HS256 tokens exactly as supportd expects them: sub (24
// lower-case hex), name, role (client|superAdmin), iat, exp.
type minter struct {
	secret []byte
	ttl    time.Duration
	random [5]byte // per process, like an ObjectId
	ctr    atomic.Uint32
}

func newMinter(secret string, ttl time.Duration) (*minter, error) {
	if secret == "" {
		return nil, fmt.Errorf("no signing secret: set JWT_SECRET or pass -secret (the server's JWT_SECRET)")
	}
	if len(secret) < minSecretLen {
		return nil, fmt.Errorf("the secret must be at least %d bytes, like the server's JWT_SECRET", minSecretLen)
	}
	m := &minter{secret: []byte(secret), ttl: ttl}
	_, _ = rand.Read(m.random[:])
	var c [4]byte
	_, _ = rand.Read(c[:])
	m.ctr.Store(binary.BigEndian.Uint32(c[:]))
	return m, nil
}

// newID returns an ObjectId-shaped id: 4-byte seconds, 5 random bytes, 3-byte counter.
func (m *minter) newID() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(time.Now().Unix()))
	copy(b[4:9], m.random[:])
	c := m.ctr.Add(1)
	b[9], b[10], b[11] = byte(c>>16), byte(c>>8), byte(c)
	return hex.EncodeToString(b[:])
}

func (m *minter) identity(role, name string) (*identity, error) {
	w := &identity{ID: m.newID(), Name: name, Role: role}
	now := time.Now()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub":  w.ID,
		"name": name,
		"role": role,
		"iat":  now.Unix(),
		"exp":  now.Add(m.ttl).Unix(),
	}).SignedString(m.secret)
	if err != nil {
		return nil, err
	}
	w.bearer = "Bearer " + tok
	return w, nil
}

// identities mints n identities of a role named "<prefix> <i>".
func (m *minter) identities(role, prefix string, n int) ([]*identity, error) {
	out := make([]*identity, n)
	for i := range out {
		w, err := m.identity(role, fmt.Sprintf("%s %d", prefix, i))
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}
