package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/supportd/supportd/store"
)

const (
	// MinSecretLen is the shortest JWT_SECRET accepted: HS256 with a shorter key is
	// guessable offline from any one token.
	MinSecretLen = 32
	// expLeeway absorbs clock skew between the token issuer and this server.
	expLeeway = 30 * time.Second
	// maxNameLen caps the display name taken from a token.
	maxNameLen = 200
)

// Auth verifies and mints the HS256 bearer tokens of the contract.
type Auth struct {
	secret []byte
	now    func() time.Time
}

// NewAuth checks the secret's length.
func NewAuth(secret string, now func() time.Time) (*Auth, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("JWT_SECRET must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	if now == nil {
		now = time.Now
	}
	return &Auth{secret: []byte(secret), now: now}, nil
}

type claims struct {
	Name string `json:"name"`
	Role string `json:"role"`
	jwt.RegisteredClaims
}

// Verify checks a token and returns its caller and expiry. Only HS256 is accepted and
// exp is required; the error says why, for the 401 message (never the token itself).
func (a *Auth) Verify(token string) (store.Caller, time.Time, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), // an iat in the future would win every name race (Caller.NameAt)
		jwt.WithLeeway(expLeeway),
		jwt.WithTimeFunc(a.now),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return store.Caller{}, time.Time{}, errors.New("token expired")
	case err != nil:
		return store.Caller{}, time.Time{}, errors.New("invalid token")
	}
	id, err := store.ParseID(c.Subject)
	if err != nil {
		return store.Caller{}, time.Time{}, errors.New("invalid token subject")
	}
	role, err := store.ParseRole(c.Role)
	if err != nil {
		return store.Caller{}, time.Time{}, errors.New("invalid token role")
	}
	// A control character (NUL above all) has no place in a display name, and
	// PostgreSQL refuses NUL in text: refuse the token rather than fail later.
	if strings.ContainsFunc(c.Name, unicode.IsControl) {
		return store.Caller{}, time.Time{}, errors.New("invalid token name")
	}
	name := c.Name
	if utf8.RuneCountInString(name) > maxNameLen {
		name = string([]rune(name)[:maxNameLen])
	}
	caller := store.Caller{ID: id, Name: name, Role: role}
	if c.IssuedAt != nil {
		caller.NameAt = c.IssuedAt.Time
	}
	return caller, c.ExpiresAt.Time, nil
}

// Mint signs a token for c valid for ttl.
func (a *Auth) Mint(c store.Caller, ttl time.Duration) (string, error) {
	now := a.now()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims{
		Name: c.Name,
		Role: string(c.Role),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   string(c.ID),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	})
	return t.SignedString(a.secret)
}

// BearerToken takes the token from an Authorization header; the scheme is matched
// case-insensitively as RFC 6750 allows.
func BearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

type callerKey struct{}

// CallerFrom returns the authenticated caller of a request.
func CallerFrom(ctx context.Context) (store.Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(store.Caller)
	return c, ok
}

func withCaller(ctx context.Context, c store.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// authenticate is the middleware that admits only requests with a valid bearer token
// and remembers the caller.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := BearerToken(r.Header.Get("Authorization"))
		if !ok {
			writeError(w, r, s.log, store.Errorf(store.CodeUnauthorized, "Missing bearer token"))
			return
		}
		c, _, err := s.auth.Verify(token)
		if err != nil {
			writeError(w, r, s.log, store.Errorf(store.CodeUnauthorized, "Unauthorized: %v", err))
			return
		}
		if err := s.people.remember(r.Context(), c); err != nil {
			writeError(w, r, s.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withCaller(r.Context(), c)))
	})
}

// AuthenticateSocket verifies the token of a WebSocket upgrade: the Authorization
// header, or the access_token query parameter that browsers must use. The caller is
// remembered as on REST. The error is the 401 message.
func (s *Server) AuthenticateSocket(r *http.Request) (store.Caller, time.Time, error) {
	token, ok := BearerToken(r.Header.Get("Authorization"))
	if !ok {
		token = r.URL.Query().Get("access_token")
	}
	if token == "" {
		return store.Caller{}, time.Time{}, errors.New("Missing bearer token")
	}
	c, exp, err := s.auth.Verify(token)
	if err != nil {
		return store.Caller{}, time.Time{}, fmt.Errorf("Unauthorized: %w", err)
	}
	if err := s.people.remember(r.Context(), c); err != nil {
		return store.Caller{}, time.Time{}, errors.New("Could not verify the caller")
	}
	return c, exp, nil
}
