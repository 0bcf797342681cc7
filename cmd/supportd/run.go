package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// devTokenTTL is how long the dev-mode tokens printed at start stay valid.
const devTokenTTL = 24 * time.Hour

// run is main without the process: testable, and everything it starts is stopped
// before it returns.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch {
	case cmd == "help" || (cmd == "serve" && wantsHelp(args)):
		_, err := io.WriteString(stdout, usage)
		return err
	case cmd == "version":
		return printVersion(stdout)
	}
	cfg, err := loadConfig(getenv, cmd, args)
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stdout, nil)
	case "healthcheck":
		return healthcheck(ctx, cfg.Addr)
	case "migrate":
		return migrate(ctx, cfg, log)
	case "token":
		err := mintToken(cfg, args, stdout, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	return fmt.Errorf("unknown command %q (see supportd help)", cmd)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
