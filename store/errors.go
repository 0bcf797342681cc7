package store

import "errors"

var (
	// ErrNotFound: no such thing, or not the caller's to see.
	ErrNotFound = errors.New("not found")
	// ErrIssueExists: the ticket already has an issueUrl.
	ErrIssueExists = errors.New("issue already created")
	// ErrIdempotencyMismatch: the key was used before with another request.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with another request")
	// ErrUnavailable: the store did not answer in time or lost its connection. A
	// write that fails with it committed whole or not at all, so the caller may retry
	// (with the same idempotency key); the store wraps the cause with it.
	ErrUnavailable = errors.New("store unavailable")
	// ErrSearchTooSlow: a search ran into its deadline; the caller must narrow it.
	ErrSearchTooSlow = errors.New("search took too long")
)

// ReplayError is returned instead of creating anything when the same caller already
// succeeded with the same idempotency key and request: Body is what was answered then.
type ReplayError struct {
	Body []byte // the JSON of the created ticket or thread
}

func (e *ReplayError) Error() string { return "idempotent replay" }
