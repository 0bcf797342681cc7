package api

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is an error code of the contract; each maps to one HTTP status.
type Code string

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

// Status is the HTTP status of the code.
func (c Code) Status() int {
	switch c {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodeConflict:
		return http.StatusConflict
	case CodeGone:
		return http.StatusGone
	case CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeTooManyRequests:
		return http.StatusTooManyRequests
	case CodeBadGateway:
		return http.StatusBadGateway
	case CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Error is the one error shape of the wire: {code, message}. Handlers return it (or
// wrap it); anything else becomes InternalError with a generic message and a log line.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Extra fields some answers carry beside code and message (the list's counts).
	Counts any `json:"counts,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf makes an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *Error { return Errorf(CodeBadRequest, format, args...) }

// AsError finds the *Error in err's chain, or makes the generic internal one.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return &Error{Code: CodeInternal, Message: "Internal server error"}, false
}
