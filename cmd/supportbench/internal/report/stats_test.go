package report

import (
	"testing"
	"time"
)

func TestDistOf(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(101-i)*time.Millisecond)
	}
	d := DistOf(ds)
	if d.N != 100 || d.P50 != 50 || d.P99 != 99 || d.Max != 100 || d.Mean != 50.5 {
		t.Fatalf("distOf = %+v", d)
	}
	if (DistOf(nil) != Dist{}) {
		t.Fatalf("distOf(nil) is not empty")
	}
}
