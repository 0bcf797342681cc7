package scenario

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/cmd/supportbench/internal/report"
)

func TestParseAttacks(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"big-list,search,seen,metrics", attackNames(), true},
		{" metrics , seen ", []string{"metrics", "seen"}, true},
		{"search", []string{"search"}, true},
		{"", nil, false},
		{",", nil, false},
		{"search,search", nil, false},
		{"bigList", nil, false},
	} {
		got, err := parseAttacks(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("parseAttacks(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestAbuseFlagsValidateServerLimits(t *testing.T) {
	ok := abuseFlags{phase: time.Second, sample: time.Second, rate: 1, bigTickets: 1, bigThreads: 100, bigChars: 10000,
		listReaders: 1, searchInFlight: 1, seenSockets: 1, seenRate: 1, seenIDs: 1000, junk: 1, goodTickets: 1}
	if err := ok.validate(); err != nil {
		t.Fatalf("the server's own limits refused: %v", err)
	}
	if insertBodySize(100, 10000) > maxInsertBody {
		t.Errorf("100 threads of 10,000 characters: %d bytes, over 1 MiB", insertBodySize(100, 10000))
	}
	for name, mut := range map[string]func(*abuseFlags){
		"101 threads":     func(f *abuseFlags) { f.bigThreads = 101 },
		"10,001 chars":    func(f *abuseFlags) { f.bigChars = 10001 },
		"1,001 seen ids":  func(f *abuseFlags) { f.seenIDs = 1001 },
		"no phase":        func(f *abuseFlags) { f.phase = 0 },
		"no rate":         func(f *abuseFlags) { f.rate = 0 },
		"no list readers": func(f *abuseFlags) { f.listReaders = 0 },
	} {
		f := ok
		mut(&f)
		if f.validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFillerIsExactLowerCaseWords(t *testing.T) {
	a := filler(7, 9000)
	if len(a) != 9000 {
		t.Fatalf("len = %d, want 9000", len(a))
	}
	if strings.Trim(a, "abcdefghijklmnopqrstuvwxyz ") != "" {
		t.Fatalf("characters other than a-z and space in %.80q", a)
	}
	for _, c := range "abcdefghij" {
		if !strings.ContainsRune(a, c) {
			t.Errorf("no %q: the short-word search would not match", c)
		}
	}
	if filler(7, 9000) != a || filler(8, 9000) == a {
		t.Error("filler is not a function of its seed")
	}
	for _, n := range []int{1, 2, 3, 10} {
		if got := len(filler(1, n)); got != n {
			t.Errorf("filler(1, %d) has %d characters", n, got)
		}
	}
}

func TestCountSeries(t *testing.T) {
	body := `# HELP supportd_http_requests_total Requests.
# TYPE supportd_http_requests_total counter
supportd_http_requests_total{method="GET",route="/x",status="200"} 3
supportd_http_requests_total{method="X1",route="/nope/` + strings.Repeat("a", 100<<10) + `",status="405"} 1
go_goroutines 12
process_resident_memory_bytes 4.2e+07
supportd_ws_sockets_open 0
`
	rss, n, err := countSeries(strings.NewReader(body))
	if err != nil || rss != 42 || n != 3 {
		t.Fatalf("countSeries = %v MB, %d series, %v; want 42, 3, nil", rss, n, err)
	}
}

func TestRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"1": time.Second, " 3 ": 3 * time.Second, "0": 100 * time.Millisecond,
		"": time.Second, "soon": time.Second, "-2": time.Second, "3600": time.Second} {
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSeenPayloadsNameEveryIDInWindows(t *testing.T) {
	ids := []string{"a", "b", "c", "d", "e"}
	ps := seenPayloads(ids, 2)
	if len(ps) != 3 {
		t.Fatalf("got %d payloads, want 3", len(ps))
	}
	seen := map[string]bool{}
	for _, p := range ps {
		var m struct {
			Type      string   `json:"type"`
			ThreadIDs []string `json:"threadIds"`
		}
		if err := json.Unmarshal(p, &m); err != nil || m.Type != "seen" || len(m.ThreadIDs) != 2 {
			t.Fatalf("payload %s: %v", p, err)
		}
		for _, id := range m.ThreadIDs {
			seen[id] = true
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("payloads name %v, want every one of %v", seen, ids)
	}
	if seenPayloads(nil, 2) != nil {
		t.Error("payloads without ids")
	}
}

func TestJunkRequestsAreDistinctAndSendable(t *testing.T) {
	paths := map[string]bool{}
	for n := 1; n <= 100; n++ {
		m, p := junkRequest(42, n)
		if m != "X"+strings.TrimPrefix(m, "X") || !strings.HasPrefix(p, "/nope/") {
			t.Fatalf("junkRequest(%d) = %s %s", n, m, p)
		}
		if _, err := http.NewRequest(m, "http://127.0.0.1"+p, nil); err != nil {
			t.Fatalf("junkRequest(%d): %v", n, err)
		}
		paths[p] = true
	}
	if m1, _ := junkRequest(42, 1); m1 != "X1" || len(paths) != 100 {
		t.Errorf("method %s, %d distinct paths of 100", m1, len(paths))
	}
}

func TestGoodTenantRotatesKindsAndTickets(t *testing.T) {
	g := &goodTenant{tickets: []string{"t0", "t1"}}
	var kinds []string
	for n := range 8 {
		k, _, path, _ := g.request(n)
		kinds = append(kinds, k)
		if k == "get" && !strings.HasSuffix(path, []string{"t0", "t1"}[(n/4)%2]) {
			t.Errorf("request %d: get %s", n, path)
		}
	}
	want := []string{"list", "get", "reply", "search", "list", "get", "reply", "search"}
	if !slices.Equal(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	if _, _, p, _ := g.request(3); p != "/support-tickets?q=printer+jammed" {
		t.Errorf("search path %s", p)
	}
}

func TestJudgeBars(t *testing.T) {
	good := func(p99 float64) goodRow { return goodRow{Dist: report.Dist{N: 100, P99: p99}} }
	phases := []phaseResult{
		{Name: "baseline", Good: good(10), Server: serverRow{RSSPeakMB: 50, Samples: 10}},
		{Name: "big-list", Good: good(20), Server: serverRow{RSSPeakMB: 199, Samples: 10}},
		{Name: "search", Good: good(20.5)},
		{Name: "metrics", Good: good(5), Server: serverRow{SeriesBefore: 40, SeriesWarm: 52, SeriesAfter: 52}},
		{Name: "seen", Good: goodRow{Dist: report.Dist{N: 100, P99: 5}, Skipped: 1}},
	}
	got := map[string]bool{}
	for _, b := range judge(phases) {
		got[b.Name] = b.Met
	}
	want := map[string]bool{"big-list p99": true, "big-list RSS": true, "search p99": false,
		"metrics p99": true, "metrics series": true, "seen p99": false}
	if len(got) != len(want) {
		t.Fatalf("bars %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s met = %v, want %v", k, got[k], v)
		}
	}
	// A baseline inflated by the setup: the lowest reading without an attack is the reference.
	phases[0].Server.RSSPeakMB = 80
	phases[1].Server.RSSPeakMB = 200
	phases[3].Server.RSSStartMB = 60
	for _, b := range judge(phases) {
		if b.Name == "big-list RSS" && !b.Met {
			t.Errorf("%s missed with %s", b.Name, b.Measured)
		}
	}
	phases[3].Server.RSSStartMB = 49
	phases[3].Server.SeriesAfter = 53
	for _, b := range judge(phases) {
		if (b.Name == "big-list RSS" || b.Name == "metrics series") && b.Met {
			t.Errorf("%s met with %s", b.Name, b.Measured)
		}
	}
}
