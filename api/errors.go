package api

import (
	"errors"
	"net/http"

	"github.com/supportd/supportd/store"
)

// httpStatus is the HTTP status of a code: the one code→status table.
func httpStatus(c store.Code) int {
	switch c {
	case store.CodeBadRequest:
		return http.StatusBadRequest
	case store.CodeUnauthorized:
		return http.StatusUnauthorized
	case store.CodeForbidden:
		return http.StatusForbidden
	case store.CodeNotFound:
		return http.StatusNotFound
	case store.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case store.CodeConflict:
		return http.StatusConflict
	case store.CodeGone:
		return http.StatusGone
	case store.CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case store.CodeTooManyRequests:
		return http.StatusTooManyRequests
	case store.CodeBadGateway:
		return http.StatusBadGateway
	case store.CodeServiceUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func badRequest(format string, args ...any) *store.Error {
	return store.Errorf(store.CodeBadRequest, format, args...)
}

// asError finds the *store.Error in err's chain, or makes the generic internal one.
func asError(err error) (*store.Error, bool) {
	var e *store.Error
	if errors.As(err, &e) {
		return e, true
	}
	return &store.Error{Code: store.CodeInternal, Message: "Internal server error"}, false
}
