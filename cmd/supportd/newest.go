package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres"
)

// newestPoolSize is the connections of the pool that reads the log's newest id
// for hello: one read at a time serves every socket that connects meanwhile (see
// hub.Deps.Newest), and a second covers a connection being replaced.
const newestPoolSize = 2

// openNewest returns how hello reads the log's newest id, and what to close. With
// PostgreSQL it is a small pool of its own: in a reconnect storm the main pool is
// queued with the sockets' replay reads, and hello, which every socket waits for
// first, must not wait behind them. The in-memory store answers at once.
func openNewest(ctx context.Context, cfg config, st store.Store) (func(context.Context) (int64, error), func(), error) {
	if cfg.DatabaseURL == "" {
		return st.LastEventID, func() {}, nil
	}
	db, err := postgres.Open(ctx, withPoolMax(cfg.DatabaseURL, newestPoolSize))
	if err != nil {
		return nil, nil, fmt.Errorf("database (newest id pool): %w", err)
	}
	return db.LastEventID, db.Close, nil
}

// withPoolMax sets pool_max_conns in a URL or keyword/value connection string.
func withPoolMax(conn string, n int) string {
	if !strings.Contains(conn, "://") {
		return fmt.Sprintf("%s pool_max_conns=%d", conn, n)
	}
	u, err := url.Parse(conn)
	if err != nil {
		return conn // postgres.Open reports it
	}
	q := u.Query()
	q.Set("pool_max_conns", fmt.Sprint(n))
	u.RawQuery = q.Encode()
	return u.String()
}
