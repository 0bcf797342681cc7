package main

import (
	"strings"
	"testing"
)

func TestServeFlagOverridesADDR(t *testing.T) {
	env := func(k string) string { return map[string]string{"ADDR": ":1"}[k] }
	cfg, err := loadConfig(env, "serve", []string{"-addr", "127.0.0.1:0"})
	if err != nil || cfg.Addr != "127.0.0.1:0" {
		t.Fatalf("serve -addr 127.0.0.1:0: got %q, %v; want 127.0.0.1:0", cfg.Addr, err)
	}
	if _, err := loadConfig(env, "serve", []string{"-port", "1"}); err == nil || !strings.Contains(err.Error(), "supportd help") {
		t.Errorf("serve -port 1: got %v, want an error that points to supportd help", err)
	}
	// Another command's flags are its own.
	if cfg, err := loadConfig(env, "token", []string{"-role", "client"}); err != nil || cfg.Addr != ":1" {
		t.Errorf("token -role client: got %q, %v; want ADDR's :1 and no error", cfg.Addr, err)
	}
}

func TestServeSecretRule(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := loadConfig(none, "serve", nil)
	if err != nil || len(cfg.JWTSecret) != 64 {
		t.Fatalf("serve in dev mode: got a %d-byte secret, %v; want a random 64-hex one", len(cfg.JWTSecret), err)
	}
	if cfg, err := loadConfig(none, "token", nil); err != nil || cfg.JWTSecret != "" {
		t.Errorf("token without JWT_SECRET: got %q, %v; want no secret made up", cfg.JWTSecret, err)
	}
	db := func(k string) string { return map[string]string{"DATABASE_URL": "postgres://x"}[k] }
	if _, err := loadConfig(db, "serve", nil); err == nil || !strings.Contains(err.Error(), "JWT_SECRET is required") {
		t.Errorf("serve with a database and no secret: got %v, want JWT_SECRET is required", err)
	}
	if _, err := loadConfig(db, "migrate", nil); err != nil {
		t.Errorf("migrate with a database and no secret: %v", err)
	}
}
