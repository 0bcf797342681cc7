// Package identity mints the users of a run: clients and support agents with
// HS256 tokens signed as supportd expects them, the same users for the same run id.
package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The roles a token names, as supportd spells them.
const (
	RoleClient = "client"
	RoleAdmin  = "superAdmin"
	// minSecretLen mirrors the server: a shorter JWT_SECRET never signs a token it
	// would accept.
	minSecretLen = 32
)

// User is one user of supportd: a client account or a support agent.
type User struct {
	ID     string // 24 lower-case hex, the token's sub
	Name   string
	Role   string
	Bearer string // "Bearer <jwt>"
}

// Admin says whether w is a support agent (superAdmin).
func (w *User) Admin() bool { return w.Role == RoleAdmin }

// Minter makes HS256 tokens exactly as supportd expects them: sub (24 lower-case
// hex), name, role (client|superAdmin), iat, exp.
type Minter struct {
	secret []byte
	ttl    time.Duration
}

// NewMinter refuses a secret the server would refuse; tokens live for ttl.
func NewMinter(secret string, ttl time.Duration) (*Minter, error) {
	if secret == "" {
		return nil, fmt.Errorf("no signing secret: set JWT_SECRET or pass -secret (the server's JWT_SECRET)")
	}
	if len(secret) < minSecretLen {
		return nil, fmt.Errorf("the secret must be at least %d bytes, like the server's JWT_SECRET", minSecretLen)
	}
	return &Minter{secret: []byte(secret), ttl: ttl}, nil
}

// idOf derives the id from the role and the name, which holds the run id: two
// processes given the same -run mint the same people, so a listen process can hold
// more sockets of the clients whose tickets another process writes to.
func idOf(role, name string) string {
	h := sha256.Sum256([]byte(role + "\x00" + name))
	return hex.EncodeToString(h[:12])
}

// User mints the user of a role and a name.
func (m *Minter) User(role, name string) (*User, error) {
	w := &User{ID: idOf(role, name), Name: name, Role: role}
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
	w.Bearer = "Bearer " + tok
	return w, nil
}

// Users mints n users of a role named "<prefix> <i>".
func (m *Minter) Users(role, prefix string, n int) ([]*User, error) {
	out := make([]*User, n)
	for i := range out {
		w, err := m.User(role, fmt.Sprintf("%s %d", prefix, i))
		if err != nil {
			return nil, err
		}
		out[i] = w
	}
	return out, nil
}
