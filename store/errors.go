package store

import (
	"errors"
	"fmt"
)

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

// Code is an error code of the contract, the same on REST answers and on the
// socket's error frames; the api maps each to one HTTP status.
type Code string

// The contract's codes.
const (
	CodeBadRequest         Code = "BadRequest"
	CodeUnauthorized       Code = "Unauthorized"
	CodeForbidden          Code = "Forbidden"
	CodeNotFound           Code = "NotFound"
	CodeMethodNotAllowed   Code = "MethodNotAllowed"
	CodeConflict           Code = "Conflict"
	CodeGone               Code = "Gone"
	CodePayloadTooLarge    Code = "PayloadTooLarge"
	CodeTooManyRequests    Code = "TooManyRequests"
	CodeInternal           Code = "InternalError"
	CodeBadGateway         Code = "BadGateway"
	CodeServiceUnavailable Code = "ServiceUnavailable"
)

// Error is the one error shape of the product: {code, message} on REST answers and on
// the socket's error frames. Anything else becomes InternalError with a generic
// message and a log line.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Counts is the list's counts, which its empty answer carries beside code and
	// message when they were asked for.
	Counts *Counts `json:"counts,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
