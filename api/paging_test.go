package api_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
	"github.com/supportd/supportd/store/postgres"
	"github.com/supportd/supportd/store/postgres/pgtest"
)

// hugePages are pages × limits whose offset overflows int64 (or int32) unless the
// stores saturate it.
var hugePages = []struct{ page, limit string }{
	{"9223372036854775807", "10"},
	{"9223372036854775807", "100"},
	{"9223372036854775807", "1"},
	{"4611686018427387905", "2"},
	{"922337203685477581", "10"},
	{"92233720368547759", "100"},
	{"2147483648", "100"},
	{"21474837", "100"},
}

func TestHugePageIsPastTheEnd(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a := e.client(t, "A")
		e.createTicket(t, a, "x")
		for _, p := range hugePages {
			r := e.req(t, "GET", "/support-tickets?page="+p.page+"&limit="+p.limit, a.token, nil)
			wantStatus(t, r, http.StatusNotFound, "No support tickets found")
		}
	})
}

// FuzzListPaging sends any page and limit to the list on both stores: the answer is a
// page (200), a refusal of the input (400) or a page past the end (404), never a 500.
// Its seeds, the overflow cases among them, run as a normal test.
func FuzzListPaging(f *testing.F) {
	for _, p := range hugePages {
		f.Add(p.page, p.limit)
	}
	for _, s := range [][2]string{{"1", "10"}, {"2", "1"}, {"0", "10"}, {"-9223372036854775808", "10"}, {"1", "0"}, {"1", "101"}, {"99999999999999999999", "10"}, {"1e3", "10"}, {"", ""}} {
		f.Add(s[0], s[1])
	}
	type target struct {
		e     *env
		token string
	}
	var targets []target
	for name, st := range fuzzStores(f) {
		e := newEnv(f, st)
		a := e.client(f, "A "+name)
		e.createTicket(f, a, "one")
		e.createTicket(f, a, "two")
		targets = append(targets, target{e, a.token})
	}
	f.Fuzz(func(t *testing.T, page, limit string) {
		q := url.Values{"page": {page}, "limit": {limit}}.Encode()
		for _, tg := range targets {
			r := tg.e.req(t, "GET", "/support-tickets?"+q, tg.token, nil)
			switch r.status {
			case http.StatusOK, http.StatusBadRequest:
				wantStatus(t, r, r.status, "")
			case http.StatusNotFound:
				wantStatus(t, r, r.status, "No support tickets found")
			default:
				t.Fatalf("page %q limit %q: got %d %s", page, limit, r.status, r.body)
			}
		}
	})
}

// fuzzStores are openers' stores, opened once for a fuzz target (which is no *testing.T).
func fuzzStores(tb testing.TB) map[string]store.Store {
	url := pgtest.NewDatabase(tb)
	db, err := postgres.Open(tb.Context(), url)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	tb.Cleanup(db.Close)
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return map[string]store.Store{"memory": memory.New(), "postgres": db}
}
