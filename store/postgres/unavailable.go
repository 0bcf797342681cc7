package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/supportd/supportd/store"
)

// unavailable tells whether err means the database could not be used (too slow, the
// connection broke, the server is going away or full) rather than that the request
// was wrong: those become store.ErrUnavailable, which the api answers with 503 so
// that clients retry. Matching is by type and SQLSTATE, never by text.
//
// A caller that hung up (context.Canceled) is not the database's fault and stays
// as it is. 57014 (query_canceled) is left alone too: the statement deadlines that
// raise it on their own (a search's) have their own answer, and the server-side
// statement_timeout is set past the client's deadline, which fires first.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableCode(pgErr.Code)
	}
	var (
		connectErr *pgconn.ConnectError
		netErr     net.Error
	)
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, puddle.ErrClosedPool)
}

// unavailableCode is true for the SQLSTATEs of a server that cannot serve now:
// class 08 (connection exception), 57P01-57P03 (admin or crash shutdown, cannot
// connect now) and 53300 (too many connections).
func unavailableCode(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return strings.HasPrefix(code, "08")
}

// brokenConn is the part of unavailable that a fresh connection may cure: the
// connection failed fast (terminated backend, reset, EOF), as opposed to a
// deadline, which a retry would only spend a second time.
func brokenConn(err error) bool {
	return unavailable(err) && !errors.Is(err, context.DeadlineExceeded) && !pgconn.Timeout(err)
}

// retryRead runs read, a read without side effects, and runs it once more when its
// connection broke: the pool has dropped the broken connection by then, so the
// second try gets another (or a new one). What the second try returns is final.
func retryRead[T any](ctx context.Context, read func() (T, error)) (T, error) {
	v, err := read()
	if err == nil || !brokenConn(err) || ctx.Err() != nil {
		return v, err
	}
	return read()
}

// unavailableError marks an error of the database's as store.ErrUnavailable while
// keeping its cause for the log and for errors.As.
type unavailableError struct{ err error }

func (e *unavailableError) Error() string { return e.err.Error() }
func (e *unavailableError) Unwrap() []error {
	return []error{e.err, store.ErrUnavailable}
}

// markUnavailable wraps err with store.ErrUnavailable when unavailable says so.
func markUnavailable(err error) error {
	if !unavailable(err) || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	return &unavailableError{err: err}
}
