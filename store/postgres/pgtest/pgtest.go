// Package pgtest gives tests a PostgreSQL database of their own, and fills one with
// realistic data fast for benchmarks.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultURL is the server tests use when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL is the URL of the test server's maintenance database.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// NewDatabase creates an empty database with a unique name on the test server and
// returns its URL; the database is dropped when the test ends. When the server cannot
// be reached the test is skipped, unless CI=true, where that is a failure: CI must
// never pass by testing nothing.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	base := ServerURL()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("pgtest: TEST_DATABASE_URL must be a postgres:// URL, got %q", base)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("pgtest: PostgreSQL unreachable at %s: %v", redact(u), err)
		}
		tb.Skipf("pgtest: PostgreSQL unreachable at %s (set TEST_DATABASE_URL; with CI=true this fails): %v", redact(u), err)
	}
	defer conn.Close(context.Background())

	name := "supportd_test_" + randomHex(8)
	if err := createDatabase(ctx, conn, name); err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		// FORCE ends connections a test forgot to close.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// createDatabase retries while another session holds the template database: CREATE
// DATABASE copies template1 and refuses while anyone else is connected to it.
func createDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	for {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+name)
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			if err != nil {
				return fmt.Errorf("create database %s: %w", name, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("create database %s: %w", name, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// redact hides a password, if the URL has one, from messages.
func redact(u *url.URL) string { return u.Redacted() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
