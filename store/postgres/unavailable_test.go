package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

func TestUnavailableClassifiesByTypeAndCode(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	cases := map[string]struct {
		err  error
		want bool
	}{
		"deadline":            {fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		"caller hung up":      {fmt.Errorf("x: %w", context.Canceled), false},
		"terminated backend":  {&pgconn.PgError{Code: "57P01"}, true},
		"crash shutdown":      {&pgconn.PgError{Code: "57P02"}, true},
		"cannot connect now":  {&pgconn.PgError{Code: "57P03"}, true},
		"too many conns":      {&pgconn.PgError{Code: "53300"}, true},
		"connection failure":  {&pgconn.PgError{Code: "08006"}, true},
		"statement canceled":  {&pgconn.PgError{Code: "57014"}, false},
		"unique violation":    {&pgconn.PgError{Code: "23505"}, false},
		"reset by peer":       {reset, true},
		"eof":                 {fmt.Errorf("read: %w", io.EOF), true},
		"unexpected eof":      {io.ErrUnexpectedEOF, true},
		"conn closed":         {pgconn.ErrConnClosed, true},
		"pool closed":         {puddle.ErrClosedPool, true},
		"no rows":             {pgx.ErrNoRows, false},
		"commit rolled back":  {pgx.ErrTxCommitRollback, false},
		"not found":           {store.ErrNotFound, false},
		"nil":                 {nil, false},
		"wrapped twice":       {wrap("a", wrap("b", reset)), true},
		"wrapped unique":      {wrap("a", &pgconn.PgError{Code: "23505"}), false},
		"marked, then joined": {fmt.Errorf("y: %w", markUnavailable(reset)), true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := errors.Is(markUnavailable(tc.err), store.ErrUnavailable); got != tc.want {
				t.Fatalf("ErrUnavailable for %v: got %v, want %v", tc.err, got, tc.want)
			}
		})
	}
	// The cause stays reachable for the log and for errors.As.
	var pgErr *pgconn.PgError
	if err := wrap("read", &pgconn.PgError{Code: "57P01"}); !errors.As(err, &pgErr) || pgErr.Code != "57P01" {
		t.Fatalf("cause lost: %v", err)
	}
}

// testTimeout is DB_TIMEOUT in these tests: short, so that the suite stays fast.
const testTimeout = 500 * time.Millisecond

// wantUnavailable fails unless err is store.ErrUnavailable and came within the
// deadline plus a second.
func wantUnavailable(t *testing.T, what string, err error, took time.Duration) {
	t.Helper()
	t.Logf("%s: %v after %v", what, err, took.Round(time.Millisecond))
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("%s: got %v, want store.ErrUnavailable", what, err)
	}
	if took > testTimeout+time.Second {
		t.Fatalf("%s: took %v, want at most %v", what, took, testTimeout+time.Second)
	}
}

func TestLockWaitPastDeadlineIsUnavailable(t *testing.T) {
	db, url := newTestDB(t)
	tk := mustCreate(t, db, newTicket(client(0), "held"))
	short, err := OpenWith(t.Context(), url, Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()

	holder := adminConn(t, url)
	tx, err := holder.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM tickets WHERE id = $1 FOR UPDATE`, tk.ID); err != nil {
		t.Fatal(err)
	}
	title := "renamed"
	start := time.Now()
	_, err = short.UpdateTicket(t.Context(), agent(0), tk.ID, store.TicketUpdate{Title: &title})
	took := time.Since(start)
	wantUnavailable(t, "update behind a lock", err, took)
	if took < testTimeout*9/10 {
		t.Fatalf("gave up after %v, before the %v deadline", took, testTimeout)
	}
}

func TestTerminatedBackendReadSucceeds(t *testing.T) {
	db, url := newTestDB(t)
	tk := mustCreate(t, db, newTicket(client(0), "read me"))
	// One connection: the read after the kill must meet the dead one first.
	one, err := OpenWith(t.Context(), oneConn(t, url), Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	for round := range 3 {
		if _, err := one.Ticket(t.Context(), client(0), tk.ID); err != nil {
			t.Fatalf("round %d, warm-up read: %v", round, err)
		}
		terminateBackends(t, url)
		got, err := one.Ticket(t.Context(), client(0), tk.ID)
		if err != nil || got.ID != tk.ID {
			t.Fatalf("round %d, read after pg_terminate_backend: %v (got %q), want the ticket", round, err, got.ID)
		}
		if _, err := one.ListTickets(t.Context(), client(0), store.ListFilter{Limit: 10}); err != nil {
			t.Fatalf("round %d: ListTickets: %v", round, err)
		}
		terminateBackends(t, url)
		if _, err := one.EventsAfter(t.Context(), 0, 10); err != nil {
			t.Fatalf("round %d, EventsAfter after pg_terminate_backend: %v", round, err)
		}
	}
}

func TestTerminatedBackendWriteIsUnavailableOrDone(t *testing.T) {
	_, url := newTestDB(t)
	one, err := OpenWith(t.Context(), oneConn(t, url), Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	mustCreate(t, one, newTicket(client(0), "warm"))
	terminateBackends(t, url)
	_, _, err = one.CreateTicket(t.Context(), newTicket(client(0), "after the kill"))
	if err != nil && !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("write on a terminated backend: got %v, want success or store.ErrUnavailable", err)
	}
	t.Logf("write on a terminated backend: %v", err)
}

// adminConn is a plain connection to url, outside any pool under test.
func adminConn(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// terminateBackends ends supportd's connections to url's database from the
// maintenance database, and waits until they are gone.
func terminateBackends(t *testing.T, dbURL string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := adminConn(t, pgtest.ServerURL())
	const alive = `FROM pg_stat_activity WHERE datname = $1 AND application_name = 'supportd'`
	if _, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) `+alive, name); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		var n int
		if err := admin.QueryRow(t.Context(), `SELECT count(*) `+alive, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d backends still alive", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// oneConn is url with a pool of one connection.
func oneConn(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("pool_max_conns", "1")
	u.RawQuery = q.Encode()
	return u.String()
}

func TestSessionLimitsFollowTimeout(t *testing.T) {
	_, url := newTestDB(t)
	cases := map[time.Duration][2]string{ // DB_TIMEOUT → statement, idle in transaction
		500 * time.Millisecond: {"1500ms", "1s"},
		3 * time.Second:        {"4s", "3s"},
		time.Minute:            {"61s", "5s"},
	}
	for timeout, want := range cases {
		db, err := OpenWith(t.Context(), url, Options{Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		// Migrate's own unlimited pool must leave this one's limits alone.
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		var statement, idle string
		err = db.QueryRowForTest(t.Context(),
			`SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')`).Scan(&statement, &idle)
		db.Close()
		if err != nil || statement != want[0] || idle != want[1] {
			t.Errorf("DB_TIMEOUT %v: statement_timeout %q, idle_in_transaction_session_timeout %q (%v); want %q, %q",
				timeout, statement, idle, err, want[0], want[1])
		}
	}
}
