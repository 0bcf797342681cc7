package scenario

import (
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	w, err := parseWindow("10s-30s")
	if err != nil || w.from != 10*time.Second || w.to != 30*time.Second {
		t.Fatalf("got %+v, %v; want 10s-30s", w, err)
	}
	if w, err := parseWindow(""); w != nil || err != nil {
		t.Fatalf("empty: got %+v, %v; want no window", w, err)
	}
	for _, bad := range []string{"10s", "30s-10s", "x-1s", "-1s-2s", "1s-1s"} {
		if _, err := parseWindow(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseFaults(t *testing.T) {
	got, err := parseFaults("10s=http://127.0.0.1:9/blackhole,30s=http://127.0.0.1:9/pass")
	if err != nil || len(got) != 2 || got[0].at != 10*time.Second || got[1].url != "http://127.0.0.1:9/pass" {
		t.Fatalf("got %+v, %v", got, err)
	}
	for _, bad := range []string{"10s", "x=http://a", "10s=ftp://a", "-1s=http://a"} {
		if _, err := parseFaults(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
