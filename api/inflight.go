package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/supportd/supportd/store"
)

// maxReadsInFlight is how many expensive reads (searches, list pages larger than
// the default, thread pages) one caller may run at once on an instance. Such a
// page can carry megabytes of conversation and a search up to 2 s of database
// time: two let a console and a widget read side by side, while a third waits
// instead of taking a further database connection and encoder from every other
// tenant.
const maxReadsInFlight = 2

// maxPagesInFlight is how many plain list pages (the default size or smaller, no
// search) one caller may run at once on an instance, besides its expensive reads.
// Such a page holds at most 10 tickets of at most 20 threads, so six cost at most
// what two pages of 30 do; capping them at two refused a console that loads its
// three status tabs at once (and 1.6% of the REST read bar's requests).
const maxPagesInFlight = 6

// inflightRetryAfter is what a refused caller is told to wait: a read that may run is
// over within its 2 s deadline (searches), and usually within milliseconds.
const inflightRetryAfter = time.Second

// inflight caps the requests each caller has in progress. It suits any expensive read:
// a slot is taken before the work and given back after it, whatever the outcome.
type inflight struct {
	max     int
	mu      sync.Mutex
	callers map[store.ID]int // only callers with a request in progress
}

func newInflight(max int) *inflight {
	return &inflight{max: max, callers: map[store.ID]int{}}
}

// acquire takes one of id's slots, or answers false when all are taken. A true answer
// must be matched by one call of the release it returns.
func (l *inflight) acquire(id store.ID) (release func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.callers[id] >= l.max {
		return nil, false
	}
	l.callers[id]++
	var once sync.Once
	return func() { once.Do(func() { l.release(id) }) }, true
}

func (l *inflight) release(id store.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Deleting at zero keeps the map as small as the callers in progress.
	if l.callers[id]--; l.callers[id] <= 0 {
		delete(l.callers, id)
	}
}

// refuse is the 429 of a caller over its cap (what names the requests, plural); it
// sets Retry-After on w.
func (l *inflight) refuse(w http.ResponseWriter, what string) *store.Error {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(inflightRetryAfter.Seconds()))))
	return store.Errorf(store.CodeTooManyRequests, "Too many %s in progress: at most %d at once, retry later", what, l.max)
}

// readSlot takes one of c's expensive-read slots (searches, large list pages,
// thread pages), or answers 429; the release it returns gives the slot back.
func (s *Server) readSlot(w http.ResponseWriter, c store.Caller) (release func(), err error) {
	return slot(w, s.reads, c, "list reads")
}

// pageSlot is readSlot for a plain list page (see maxPagesInFlight).
func (s *Server) pageSlot(w http.ResponseWriter, c store.Caller) (release func(), err error) {
	return slot(w, s.pages, c, "list pages")
}

func slot(w http.ResponseWriter, l *inflight, c store.Caller, what string) (release func(), err error) {
	release, ok := l.acquire(c.ID)
	if !ok {
		return nil, l.refuse(w, what)
	}
	return release, nil
}
