package scenario

import "testing"

func TestParseMetrics(t *testing.T) {
	body := []byte(`# HELP go_goroutines Number of goroutines.
# TYPE go_goroutines gauge
go_goroutines 2014
process_resident_memory_bytes 9.7e+07
supportd_ws_sockets_open{role="client"} 1000
supportd_ws_sockets_open{role="superAdmin"} 10
supportd_ws_sockets_opened_total 5
go_memstats_heap_inuse_bytes{weird="a}b"} 12
`)
	got := parseMetrics(body, []string{"go_goroutines", "process_resident_memory_bytes", "supportd_ws_sockets_open", "go_memstats_heap_inuse_bytes"})
	want := map[string]float64{"go_goroutines": 2014, "process_resident_memory_bytes": 9.7e7, "supportd_ws_sockets_open": 1010, "go_memstats_heap_inuse_bytes": 12}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}
