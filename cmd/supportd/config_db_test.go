package main

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDBTimeout(t *testing.T) {
	cases := map[string]struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		"default":    {"", 5 * time.Second, false},
		"set":        {"1500ms", 1500 * time.Millisecond, false},
		"not a time": {"soon", 0, true},
		"no unit":    {"5", 0, true},
		"too short":  {"10ms", 0, true},
		"too long":   {"2m", 0, true},
		"negative":   {"-1s", 0, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := loadConfig(func(k string) string { return map[string]string{"DB_TIMEOUT": tc.value}[k] }, "serve", nil)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), "DB_TIMEOUT must be a duration") {
					t.Fatalf("DB_TIMEOUT=%q: got err %v, want the DB_TIMEOUT message", tc.value, err)
				}
				return
			}
			if err != nil || cfg.DBTimeout != tc.want {
				t.Fatalf("DB_TIMEOUT=%q: got %v, %v; want %v", tc.value, cfg.DBTimeout, err, tc.want)
			}
		})
	}
}
