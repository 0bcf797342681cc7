package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/supportd/supportd/store"
)

const (
	// DefaultRateLimit and DefaultRateBurst are the contract's per-caller REST limits.
	DefaultRateLimit = 50
	DefaultRateBurst = 100
	// limiterIdle is how long an unused caller's bucket is kept; a full bucket is
	// the same as a fresh one after burst/limit seconds, so dropping it loses nothing.
	limiterIdle = time.Minute
	// limiterSweepEvery is how many requests pass between sweeps of idle buckets.
	limiterSweepEvery = 10_000
)

// rateLimiter keeps one token bucket per caller.
type rateLimiter struct {
	limit   rate.Limit
	burst   int
	now     func() time.Time
	mu      sync.Mutex
	callers map[store.ID]*bucket
	calls   int
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newRateLimiter(perSecond float64, burst int, now func() time.Time) *rateLimiter {
	if burst < 1 {
		burst = int(math.Max(1, perSecond))
	}
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, now: now, callers: map[store.ID]*bucket{}}
}

// allow takes a token for id, or says how long until one is there.
func (l *rateLimiter) allow(id store.ID) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%limiterSweepEvery == 0 {
		for k, b := range l.callers {
			if now.Sub(b.last) > limiterIdle {
				delete(l.callers, k)
			}
		}
	}
	b, ok := l.callers[id]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.callers[id] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Allow takes one request from the caller's REST budget for work that comes another
// way (a socket's seen and typing), so that a caller cannot do over sockets what
// REST would refuse; false says how long until the budget has room. With rate
// limiting off it always allows.
func (s *Server) Allow(id store.ID) (bool, time.Duration) {
	if s.cfg.RateLimit <= 0 {
		return true, 0
	}
	return s.limiter.allow(id)
}

// rateLimit answers 429 with Retry-After once a caller exceeds its bucket.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.cfg.RateLimit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.limiter.allow(caller(r).ID)
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeError(w, r, s.log, Errorf(CodeTooManyRequests, "Too many requests, retry later"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
