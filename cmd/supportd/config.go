package main

import (
	"fmt"
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

// config is the process configuration, read once from the environment.
type config struct {
	Addr           string
	DatabaseURL    string
	RedisURL       string
	RedisPrefix    string
	JWTSecret      string
	AllowedOrigins string
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
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		Addr:           getenv("ADDR"),
		DatabaseURL:    getenv("DATABASE_URL"),
		RedisURL:       getenv("REDIS_URL"),
		RedisPrefix:    getenv("REDIS_PREFIX"),
		JWTSecret:      getenv("JWT_SECRET"),
		AllowedOrigins: getenv("ALLOWED_ORIGINS"),
		GitHubToken:    getenv("GITHUB_TOKEN"),
		GitHubRepo:     getenv("GITHUB_REPO"),
		GitHubAPIURL:   getenv("GITHUB_API_URL"),
		RateLimit:      api.DefaultRateLimit,
		RateBurst:      api.DefaultRateBurst,
		EventRetention: 7 * 24 * time.Hour,
		LogLevel:       getenv("LOG_LEVEL"),
	}
	c.GitHubWebhookSecret = getenv("GITHUB_WEBHOOK_SECRET")
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if v := getenv("RATE_LIMIT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return c, fmt.Errorf("RATE_LIMIT must be a number of requests a second (0 turns it off), got %q", v)
		}
		c.RateLimit = f
	}
	if v := getenv("RATE_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("RATE_BURST must be a positive integer, got %q", v)
		}
		c.RateBurst = n
	}
	if v := getenv("EVENT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("EVENT_RETENTION must be a positive duration such as 168h, got %q", v)
		}
		c.EventRetention = d
	}
	c.DBTimeout = postgres.DefaultTimeout
	if v := getenv("DB_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < minDBTimeout || d > maxDBTimeout {
			return c, fmt.Errorf("DB_TIMEOUT must be a duration from %v to %v such as 5s, got %q", minDBTimeout, maxDBTimeout, v)
		}
		c.DBTimeout = d
	}
	c.Demo = c.DatabaseURL == ""
	switch v := getenv("DEMO"); v {
	case "":
	case "on", "true", "1":
		c.Demo = true
	case "off", "false", "0":
		c.Demo = false
	default:
		return c, fmt.Errorf("DEMO must be on or off, got %q", v)
	}
	if c.LogLevel != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
			return c, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, got %q", c.LogLevel)
		}
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < api.MinSecretLen {
		return c, fmt.Errorf("JWT_SECRET must be at least %d bytes (it is %d)", api.MinSecretLen, len(c.JWTSecret))
	}
	return c, nil
}

// requireSecret is serve's own rule: with a database, tokens must survive restarts
// and be mintable elsewhere, so a random secret will not do. migrate and
// healthcheck sign nothing and do not ask for one.
func (c config) requireSecret() error {
	if c.DatabaseURL != "" && c.JWTSecret == "" {
		return fmt.Errorf("JWT_SECRET is required when DATABASE_URL is set")
	}
	return nil
}
