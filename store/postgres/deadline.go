package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// deadline bounds every use of the database, whichever method makes it: pgx hands
// the context a tracer returns from its Start hook to the call it traces, so a
// deadline set here holds for each pool wait (with the health-check ping it may
// make), each connect, each statement and each batch, and for the reads of its
// results until they are closed. A method that forgets its own timeout, or one
// added later, is bounded all the same; the caller's earlier deadline still wins.
//
// The End hooks cancel the timer early; a call that never reaches End (pgx calls
// it on every path that returns to the caller) only keeps a timer for timeout.
type deadline struct {
	timeout time.Duration
}

var (
	_ pgx.QueryTracer       = deadline{}
	_ pgx.BatchTracer       = deadline{}
	_ pgx.ConnectTracer     = deadline{}
	_ pgxpool.AcquireTracer = deadline{}
)

// cancelKey holds the cancel func of the deadline a Start hook set.
type cancelKey struct{}

func (d deadline) start(ctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	return context.WithValue(ctx, cancelKey{}, cancel)
}

func (deadline) end(ctx context.Context) {
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

func (d deadline) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return d.start(ctx)
}

func (d deadline) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	d.end(ctx)
}

func (d deadline) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return d.start(ctx)
}

func (deadline) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (d deadline) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) {
	d.end(ctx)
}

func (d deadline) TraceConnectStart(ctx context.Context, _ pgx.TraceConnectStartData) context.Context {
	return d.start(ctx)
}

func (d deadline) TraceConnectEnd(ctx context.Context, _ pgx.TraceConnectEndData) {
	d.end(ctx)
}

func (d deadline) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return d.start(ctx)
}

func (d deadline) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	d.end(ctx)
}
