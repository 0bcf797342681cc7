package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store/postgres"
)

// DB_TIMEOUT's range: below 100 ms a healthy database under load would answer 503,
// above a minute a request would outlive any client and load balancer.
const (
	minDBTimeout = 100 * time.Millisecond
	maxDBTimeout = time.Minute
)

// WEBHOOK_LEASE's range: below a second, renewals (a fifteenth of it) would write
// to the database many times a second per instance; above ten minutes a dead
// instance's webhooks would wait that long for a takeover.
const (
	defaultWebhookLease = 15 * time.Second
	minWebhookLease     = time.Second
	maxWebhookLease     = 10 * time.Minute
)

// config is the process configuration, read once from the environment.
type config struct {
	Addr        string
	DatabaseURL string
	RedisURL    string
	RedisPrefix string
	JWTSecret   string
	// Origins are the extra browser origins allowed (ALLOWED_ORIGINS).
	Origins        api.Origins
	GitHubToken    string
	GitHubRepo     string
	GitHubAPIURL   string
	RateLimit      float64
	RateBurst      int
	EventRetention time.Duration
	LogLevel       string
	// Demo serves the demo widget and console at /demo/: on by default in dev mode
	// only, since the pages take tokens in their address.
	Demo bool
	// DBTimeout bounds each use of PostgreSQL (pool wait, statement); past it the
	// request answers 503.
	DBTimeout time.Duration

	// GitHubWebhookSecret verifies the GitHub loop-back (POST /github/webhook).
	GitHubWebhookSecret string
	// WebhookLease is how long an instance holds a webhook unrenewed: how soon
	// another instance takes over a dead one's webhooks.
	WebhookLease time.Duration
	// PprofAddr, when set, serves net/http/pprof on a listener of its own.
	PprofAddr string
	// PlainWrites (WS_DIRECT_WRITES=off) has the hub send through the WebSocket
	// library's own write path rather than writing frames beside it.
	PlainWrites bool
	// DenyPrivateWebhooks (WEBHOOK_PRIVATE=deny) keeps webhooks off private and
	// internal addresses, for public deployments where whoever registers a webhook
	// must not reach the server's own network. Off by default, so that receivers on
	// this host or its network work.
	DenyPrivateWebhooks bool
}

// loadConfig reads and checks the whole configuration of command cmd, once: the
// environment through getenv and, for serve, its flags (args). Nothing else in
// the process reads either.
func loadConfig(getenv func(string) string, cmd string, args []string) (config, error) {
	c, err := readEnv(getenv)
	if err != nil || cmd != "serve" {
		return c, err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error is returned; help is `supportd help`
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	if err := fs.Parse(args); err != nil {
		return c, fmt.Errorf("serve: %w (see supportd help)", err)
	}
	return c, c.serveSecret()
}

// readEnv reads the environment: every setting but serve's flags.
func readEnv(getenv func(string) string) (config, error) {
	c := config{
		Addr:           getenv("ADDR"),
		DatabaseURL:    getenv("DATABASE_URL"),
		RedisURL:       getenv("REDIS_URL"),
		RedisPrefix:    getenv("REDIS_PREFIX"),
		JWTSecret:      getenv("JWT_SECRET"),
		Origins:        api.ParseOrigins(getenv("ALLOWED_ORIGINS")),
		GitHubToken:    getenv("GITHUB_TOKEN"),
		GitHubRepo:     getenv("GITHUB_REPO"),
		GitHubAPIURL:   getenv("GITHUB_API_URL"),
		RateLimit:      api.DefaultRateLimit,
		RateBurst:      api.DefaultRateBurst,
		EventRetention: 7 * 24 * time.Hour,
		LogLevel:       getenv("LOG_LEVEL"),
		PprofAddr:      getenv("PPROF_ADDR"),
	}
	c.GitHubWebhookSecret = getenv("GITHUB_WEBHOOK_SECRET")
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if err := c.readLimits(getenv); err != nil {
		return c, err
	}
	if err := c.readModes(getenv); err != nil {
		return c, err
	}
	if c.JWTSecret != "" {
		// api.NewAuth owns the secret's rule; asking it here reports a bad secret
		// before anything starts, for every command.
		if _, err := api.NewAuth(c.JWTSecret, nil); err != nil {
			return c, err
		}
	}
	return c, nil
}

// readLimits reads the numeric settings: rates, durations, timeouts.
func (c *config) readLimits(getenv func(string) string) error {
	if v := getenv("RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("RATE_LIMIT must be a number of requests a second (0 turns it off), got %q", v)
		}
		c.RateLimit = f
	}
	if v := getenv("RATE_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("RATE_BURST must be a positive integer, got %q", v)
		}
		c.RateBurst = n
	}
	if v := getenv("EVENT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("EVENT_RETENTION must be a positive duration such as 168h, got %q", v)
		}
		c.EventRetention = d
	}
	c.DBTimeout = postgres.DefaultTimeout
	if v := getenv("DB_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < minDBTimeout || d > maxDBTimeout {
			return fmt.Errorf("DB_TIMEOUT must be a duration from %v to %v such as 5s, got %q", minDBTimeout, maxDBTimeout, v)
		}
		c.DBTimeout = d
	}
	c.WebhookLease = defaultWebhookLease
	if v := getenv("WEBHOOK_LEASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < minWebhookLease || d > maxWebhookLease {
			return fmt.Errorf("WEBHOOK_LEASE must be a duration from %v to %v such as 15s, got %q", minWebhookLease, maxWebhookLease, v)
		}
		c.WebhookLease = d
	}
	return nil
}

// readModes reads the switches: DEMO, WS_DIRECT_WRITES, WEBHOOK_PRIVATE and
// LOG_LEVEL.
func (c *config) readModes(getenv func(string) string) error {
	switch v := getenv("WS_DIRECT_WRITES"); v {
	case "", "on", "true", "1":
	case "off", "false", "0":
		c.PlainWrites = true
	default:
		return fmt.Errorf("WS_DIRECT_WRITES must be on or off, got %q", v)
	}
	switch v := getenv("WEBHOOK_PRIVATE"); v {
	case "", "allow":
	case "deny":
		c.DenyPrivateWebhooks = true
	default:
		return fmt.Errorf("WEBHOOK_PRIVATE must be allow or deny, got %q", v)
	}
	c.Demo = c.devMode()
	switch v := getenv("DEMO"); v {
	case "":
	case "on", "true", "1":
		c.Demo = true
	case "off", "false", "0":
		c.Demo = false
	default:
		return fmt.Errorf("DEMO must be on or off, got %q", v)
	}
	if c.LogLevel != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
			return fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel)
		}
	}
	return nil
}

// devMode is the embedded mode of a server without a database: everything in
// memory, tokens printed at start.
func (c config) devMode() bool { return c.DatabaseURL == "" }

// serveSecret is serve's own rule: with a database, tokens must survive restarts
// and be mintable elsewhere, so a random secret will not do; in dev mode a random
// one is made (its tokens are printed at start). migrate and healthcheck sign
// nothing and do not ask for one; token signs with what it is given.
func (c *config) serveSecret() error {
	if c.JWTSecret != "" {
		return nil
	}
	if !c.devMode() {
		return fmt.Errorf("JWT_SECRET is required when DATABASE_URL is set")
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	c.JWTSecret = hex.EncodeToString(b)
	return nil
}
