// Package postgres is the PostgreSQL implementation of store.Store: pgx with a pool,
// embedded goose migrations, status counts kept by triggers, and an event log whose ids
// are handed out after commit, in commit order.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/supportd/supportd/store"
)

var _ store.Store = (*DB)(nil)

// DB is a store.Store on a PostgreSQL database.
type DB struct {
	pool  *pgxpool.Pool
	cfg   *pgxpool.Config // what pool was opened with (Migrate opens its own from it)
	ids   *store.IDGen
	now   func() time.Time
	hooks hooks
	// searchTimeout replaces SearchTimeout when set (tests make it short).
	searchTimeout time.Duration
	people        rememberBatch
	// pruneChunk replaces pruneChunk when set (tests make it small).
	pruneChunk int
}

// hooks lets the package's own tests stop a write between its statements and its
// commit, to make transactions overlap on purpose. Zero in production.
type hooks struct {
	beforeCommit func(ctx context.Context) error
	// prunedChunk runs after each chunk PruneEvents deleted.
	prunedChunk func()
}

// DefaultTimeout is how long one use of the database (a pool wait, a connect, a
// statement or a batch) may take when Options.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Options tunes Open; the zero value is the defaults.
type Options struct {
	// Timeout bounds each use of the database (see deadline); past it the use
	// fails with store.ErrUnavailable. 0 means DefaultTimeout.
	Timeout time.Duration
}

// Open is OpenWith with the default options.
func Open(ctx context.Context, url string) (*DB, error) {
	return OpenWith(ctx, url, Options{})
}

// OpenWith connects a pool to url (a pgx URL or DSN) and checks that it answers.
// Unless the URL sets pool_max_conns, the pool allows 4 connections per CPU, at
// least 8: LinkIssue holds one for as long as the GitHub call takes. Every use of
// the pool is bounded by opts.Timeout, and the server is told to end what a
// vanished client left behind (see limitSessions).
func OpenWith(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := poolConfig(url, opts)
	if err != nil {
		return nil, err
	}
	return openPool(ctx, cfg)
}

// poolConfig is the pool's configuration for url and opts.
func poolConfig(url string, opts Options) (*pgxpool.Config, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "supportd"
	}
	limitSessions(cfg, opts.Timeout)
	return cfg, nil
}

// openPool opens a pool on cfg and checks that the database answers.
func openPool(ctx context.Context, cfg *pgxpool.Config) (*DB, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	return &DB{pool: pool, cfg: cfg, ids: store.NewIDGen(), now: time.Now}, nil
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", markUnavailable(err))
	}
	return nil
}

// Close waits for the pool's connections to be returned and closes them.
func (db *DB) Close() { db.pool.Close() }

// clock is the store's time for a change, at the precision the store keeps.
func (db *DB) clock() store.Time { return store.At(db.now()) }

// inTx runs fn in a READ COMMITTED transaction and commits it; any error rolls it back.
// READ COMMITTED is what the locking here relies on: a statement that waited for a row
// lock sees the row as the other transaction committed it.
func (db *DB) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return wrap("begin", err)
	}
	defer func() {
		// A no-op after Commit.
		rctx, cancel := rollbackContext(ctx)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if db.hooks.beforeCommit != nil {
		if err := db.hooks.beforeCommit(ctx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return wrap("commit", err)
	}
	return nil
}

// rollbackContext bounds a rollback without ctx's cancellation: it must run even when
// ctx is done, or the connection would go back to the pool mid-transaction.
func rollbackContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
}

// codeForeignKeyViolation is the SQLSTATE of an insert whose parent row is gone.
const codeForeignKeyViolation = "23503"

// wrap adds what was being done to err. A foreign key violation means a thread's
// ticket went meanwhile: store.ErrNotFound; a slow or broken database is also
// store.ErrUnavailable (see unavailable). Matching is by SQLSTATE, never by text.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeForeignKeyViolation {
		return store.ErrNotFound
	}
	return &wrapped{what: what, err: markUnavailable(err)}
}

// wrapped is what wrap returns, so that sendBatch can tell an error already wrapped.
type wrapped struct {
	what string
	err  error
}

func (e *wrapped) Error() string { return "postgres: " + e.what + ": " + e.err.Error() }
func (e *wrapped) Unwrap() error { return e.err }

// sendBatch sends b and reads every result into its callbacks. The callbacks wrap
// their own errors, which name what failed better, so only an error none of them
// wrapped (a statement without a callback failed, the connection broke before any
// result) is wrapped here, as what: every error names the store and its step once.
func sendBatch(ctx context.Context, q querier, b *pgx.Batch, what string) error {
	err := q.SendBatch(ctx, b).Close()
	var w *wrapped
	if err == nil || errors.As(err, &w) || errors.Is(err, store.ErrNotFound) {
		return err
	}
	return wrap(what, err)
}

// notFound is wrap for reads of one row that the caller asked for by id: no row is
// store.ErrNotFound.
func notFound(what string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return wrap(what, err)
}
