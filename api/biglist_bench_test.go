package api_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportd/supportd/api"
	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres"
)

// BenchmarkBigListRSS measures how much resident memory 16 concurrent
// GET /support-tickets?limit=100 add when one client holds the largest legal data:
// 30 tickets of 100 threads of 9,000 characters (27 MB of messages). Server and
// clients share this process (the clients discard what they read), so the figure is
// an upper bound for the server. The bar is under 150 MB added. The readers are 16
// super admins and rate limits are off: this measures what 16 reads that do get in
// cost, not how many one caller is let in (2 at a time, at a budget by the byte).
func BenchmarkBigListRSS(b *testing.B) {
	db, _ := benchPostgres(b)
	e := newEnv(b, db, withConfig(api.Config{}))
	a := e.client(b, "Big")
	seedBig(b, db, a.Caller)
	// 16 readers of the big client's page: super admins, since one caller may have
	// only 2 list reads in flight.
	readers := make([]user, 16)
	for i := range readers {
		readers[i] = e.agent(b, fmt.Sprint("Reader ", i))
	}

	for b.Loop() {
		runtime.GC()
		debug.FreeOSMemory()
		base := rss(b)
		var peak atomic.Int64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				peak.Store(max(peak.Load(), rss(b)))
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
			}
		}()
		var wg sync.WaitGroup
		var bytes atomic.Int64
		for _, reader := range readers {
			wg.Go(func() {
				req, _ := http.NewRequest("GET", e.url+"/support-tickets?limit=100&client="+string(a.ID), nil)
				req.Header.Set("Authorization", "Bearer "+reader.token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				defer res.Body.Close()
				n, err := io.Copy(io.Discard, res.Body)
				if err != nil || res.StatusCode != http.StatusOK {
					b.Errorf("status %d after %d bytes: %v", res.StatusCode, n, err)
				}
				bytes.Add(n)
			})
		}
		wg.Wait()
		close(stop)
		<-sampled
		b.ReportMetric(float64(peak.Load()-base)/(1<<20), "MB-rss-added")
		b.ReportMetric(float64(bytes.Load())/16/(1<<20), "MB/answer")
	}
}

// seedBig writes 30 tickets of 100 threads of 9,000 random hex characters for c.
func seedBig(b *testing.B, db *postgres.DB, c store.Caller) {
	b.Helper()
	for range 30 {
		in := store.NewTicket{Caller: c, Client: c.ID, Title: "big", Category: "billing"}
		for range 100 {
			raw := make([]byte, 4500)
			_, _ = rand.Read(raw)
			in.Threads = append(in.Threads, store.NewThreadBody{Message: hex.EncodeToString(raw)})
		}
		if _, _, err := db.CreateTicket(context.Background(), in); err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}

// rss is this process's resident set size in bytes (Linux).
func rss(b *testing.B) int64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
