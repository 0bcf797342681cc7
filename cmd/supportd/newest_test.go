package main

import "testing"

func TestWithPoolMax(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?pool_max_conns=2&sslmode=disable"},
		{"postgres://u@h/db?pool_max_conns=50", "postgres://u@h/db?pool_max_conns=2"},
		{"host=h dbname=db", "host=h dbname=db pool_max_conns=2"},
	} {
		if got := withPoolMax(tt.in, 2); got != tt.want {
			t.Errorf("withPoolMax(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
