package main

import (
	"strings"
	"testing"
	"time"
)

func TestConfigWebhookLease(t *testing.T) {
	cases := map[string]struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		"default":    {"", 15 * time.Second, false},
		"set":        {"2s", 2 * time.Second, false},
		"not a time": {"soon", 0, true},
		"no unit":    {"15", 0, true},
		"too short":  {"500ms", 0, true},
		"too long":   {"11m", 0, true},
		"negative":   {"-15s", 0, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := loadConfig(func(k string) string { return map[string]string{"WEBHOOK_LEASE": tc.value}[k] }, "serve", nil)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "WEBHOOK_LEASE must be a duration") {
					t.Fatalf("WEBHOOK_LEASE=%q: got err %v, want the WEBHOOK_LEASE message", tc.value, err)
				}
				return
			}
			if err != nil || cfg.WebhookLease != tc.want {
				t.Fatalf("WEBHOOK_LEASE=%q: got %v, %v; want %v", tc.value, cfg.WebhookLease, err, tc.want)
			}
		})
	}
}

func TestConfigWebhookPrivate(t *testing.T) {
	for v, deny := range map[string]bool{"": false, "allow": false, "deny": true} {
		cfg, err := loadConfig(func(k string) string { return map[string]string{"WEBHOOK_PRIVATE": v}[k] }, "serve", nil)
		if err != nil || cfg.DenyPrivateWebhooks != deny {
			t.Errorf("WEBHOOK_PRIVATE=%q: got deny %v, %v; want %v", v, cfg.DenyPrivateWebhooks, err, deny)
		}
	}
	for _, v := range []string{"block", "DENY", "off", "1"} {
		_, err := loadConfig(func(k string) string { return map[string]string{"WEBHOOK_PRIVATE": v}[k] }, "serve", nil)
		if err == nil || !strings.Contains(err.Error(), `WEBHOOK_PRIVATE must be allow or deny, got "`+v+`"`) {
			t.Errorf("WEBHOOK_PRIVATE=%q: got %v, want the WEBHOOK_PRIVATE message", v, err)
		}
	}
}
