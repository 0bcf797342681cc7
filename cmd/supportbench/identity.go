package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
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

// minter makes HS256 tokens exactly as supportd expects them: sub (24 lower-case
// hex), name, role (client|superAdmin), iat, exp.
type minter struct {
	secret []byte
	ttl    time.Duration
}

func newMinter(secret string, ttl time.Duration) (*minter, error) {
	if secret == "" {
		return nil, fmt.Errorf("no signing secret: set JWT_SECRET or pass -secret (the server's JWT_SECRET)")
	}
	if len(secret) < minSecretLen {
		return nil, fmt.Errorf("the secret must be at least %d bytes, like the server's JWT_SECRET", minSecretLen)
	}
	return &minter{secret: []byte(secret), ttl: ttl}, nil
}

// idOf derives the id from the role and the name, which holds the run id: two
// processes given the same -run mint the same people, so a listen process can hold
// more sockets of the clients whose tickets another process writes to.
func idOf(role, name string) string {
	h := sha256.Sum256([]byte(role + "\x00" + name))
	return hex.EncodeToString(h[:12])
}

func (m *minter) identity(role, name string) (*identity, error) {
	w := &identity{ID: idOf(role, name), Name: name, Role: role}
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
