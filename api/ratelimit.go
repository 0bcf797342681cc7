package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5/middleware"
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
	// answerUnit is how many bytes of an answer cost one more request from the
	// caller's budget, after the answer: a list page can carry megabytes of
	// conversation, and at 50 such pages a second one caller would take the server's
	// encoders and the database's reads from everyone else. A console's page of small
	// tickets stays under it and costs one request, as before.
	answerUnit = 64 << 10
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
func (l *rateLimiter) allow(id store.ID) (bool, time.Duration) { return l.take(id, 1, false) }

// charge takes n tokens for work already done, even into debt: the caller's next
// requests wait until the debt is paid back.
func (l *rateLimiter) charge(id store.ID, n int) {
	if n > 0 {
		l.take(id, n, true)
	}
}

// take takes n tokens (at most a burst) for id; unless debt is allowed, only when
// they are there now, else it says how long until they are.
func (l *rateLimiter) take(id store.ID, n int, debt bool) (bool, time.Duration) {
	n = min(n, l.burst)
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
	r := b.lim.ReserveN(now, n)
	if d := r.DelayFrom(now); d > 0 && !debt {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Allow takes cost requests from the caller's REST budget for work that comes another
// way (a socket's seen and typing), so that a caller cannot do over sockets what
// REST would refuse; false says how long until the budget has room. With rate
// limiting off it always allows.
func (s *Server) Allow(id store.ID, cost int) (bool, time.Duration) {
	if s.cfg.RateLimit <= 0 {
		return true, 0
	}
	return s.limiter.take(id, cost, false)
}

// allowMore takes the cost of a request beyond the one the middleware took (a seen
// call's further ids), or answers 429 as the middleware would.
func (s *Server) allowMore(w http.ResponseWriter, id store.ID, extra int) error {
	if extra <= 0 || s.cfg.RateLimit <= 0 {
		return nil
	}
	if ok, wait := s.limiter.take(id, extra, false); !ok {
		return tooManyRequests(w, wait)
	}
	return nil
}

func tooManyRequests(w http.ResponseWriter, wait time.Duration) *Error {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return Errorf(CodeTooManyRequests, "Too many requests, retry later")
}

// rateLimit answers 429 with Retry-After once a caller exceeds its bucket.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	if s.cfg.RateLimit <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := caller(r).ID
		ok, wait := s.limiter.allow(id)
		if !ok {
			writeError(w, r, s.log, tooManyRequests(w, wait))
			return
		}
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		// Deferred, so that an answer cut off mid-stream is paid for too.
		defer func() { s.limiter.charge(id, ww.BytesWritten()/answerUnit) }()
		next.ServeHTTP(ww, r)
	})
}
