package api_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/memory"
)

// addThreads appends replies m1..m(n-1) by u, straight through the store (the
// ticket's first thread is m0's stand-in): the HTTP rate limit is not under test.
func (e *env) addThreads(t testing.TB, u user, id store.ID, n int) {
	t.Helper()
	for i := 1; i < n; i++ {
		_, _, err := e.st.AddThread(context.Background(), store.NewThread{Caller: u.Caller, TicketID: id,
			NewThreadBody: store.NewThreadBody{Message: fmt.Sprintf("m%d", i)}})
		if err != nil {
			t.Fatalf("AddThread: %v", err)
		}
	}
}

type threadPage struct {
	Data    []store.Thread `json:"data"`
	HasMore *bool          `json:"hasMore"`
}

// wantThreads checks that threads are m(from)..m(to-1) (m0 being the first thread).
func wantThreads(t testing.TB, what string, threads []store.Thread, from, to int) {
	t.Helper()
	if len(threads) != to-from {
		t.Fatalf("%s: got %d threads, want %d", what, len(threads), to-from)
	}
	for i, th := range threads {
		want := fmt.Sprintf("m%d", from+i)
		if from+i == 0 {
			want = threads[i].Message // the ticket's first message
		}
		if th.Message != want {
			t.Fatalf("%s: threads[%d] is %q, want %q", what, i, th.Message, want)
		}
	}
}

func TestThreadsBounded(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a := e.client(t, "A")
		tk := e.createTicket(t, a, "long")
		if tk.ThreadsTotal == nil || *tk.ThreadsTotal != 1 {
			t.Fatalf("insert threadsTotal: got %v, want 1", tk.ThreadsTotal)
		}
		e.addThreads(t, a, tk.ID, 25)
		short := e.createTicket(t, a, "short")

		got := e.get(t, a, tk.ID)
		wantThreads(t, "GET", got.Threads, 0, 25)
		if got.ThreadsTotal == nil || *got.ThreadsTotal != 25 {
			t.Fatalf("GET threadsTotal: got %v, want 25", got.ThreadsTotal)
		}
		for _, lt := range e.list(t, a, "limit=100").Data {
			want, total := 20, 25
			if lt.ID == short.ID {
				want, total = 1, 1
			}
			if len(lt.Threads) != want || lt.ThreadsTotal == nil || *lt.ThreadsTotal != total {
				t.Fatalf("list item %q: got %d threads, total %v; want %d, %d", lt.Title, len(lt.Threads), lt.ThreadsTotal, want, total)
			}
		}
		item := e.list(t, a, "sort=createdAt").Data[0]
		wantThreads(t, "list item", item.Threads, 5, 25)
	})
}

func TestThreadsPage(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a, b, agent := e.client(t, "A"), e.client(t, "B"), e.agent(t, "Ann")
		tk := e.createTicket(t, a, "long")
		e.addThreads(t, a, tk.ID, 25)
		other := e.createTicket(t, a, "other")
		path := "/support-tickets/" + string(tk.ID) + "/threads"

		var before string
		for i, want := range []struct {
			from, to int
			more     bool
		}{{15, 25, true}, {5, 15, true}, {0, 5, false}} {
			r := e.req(t, "GET", path+"?limit=10"+before, a.token, nil)
			wantStatus(t, r, http.StatusOK, "")
			var p threadPage
			r.decode(t, &p)
			wantThreads(t, fmt.Sprintf("page %d", i), p.Data, want.from, want.to)
			if p.HasMore == nil || *p.HasMore != want.more {
				t.Fatalf("page %d hasMore: got %v, want %v", i, p.HasMore, want.more)
			}
			before = "&before=" + string(p.Data[0].ID)
		}
		// The default page is 50: every thread, and the agent sees them too.
		var p threadPage
		r := e.req(t, "GET", path, agent.token, nil)
		wantStatus(t, r, http.StatusOK, "")
		r.decode(t, &p)
		wantThreads(t, "default page", p.Data, 0, 25)

		for q, status := range map[string]struct {
			token, path string
			code        int
			message     string
		}{
			"another client's":               {b.token, path, 404, "Support ticket not found"},
			"another client's, bad limit":    {b.token, path + "?limit=0", 404, "Support ticket not found"},
			"malformed id":                   {a.token, "/support-tickets/nope/threads", 404, "Support ticket not found"},
			"missing, bad before":            {a.token, "/support-tickets/ffffffffffffffffffffffff/threads?before=x", 404, "Support ticket not found"},
			"limit 0":                        {a.token, path + "?limit=0", 400, "limit must be an integer from 1 to 100"},
			"limit 101":                      {a.token, path + "?limit=101", 400, "limit must be an integer from 1 to 100"},
			"limit x":                        {a.token, path + "?limit=x", 400, "limit must be an integer from 1 to 100"},
			"malformed before":               {a.token, path + "?before=nope", 400, "before must be a thread of this ticket"},
			"empty before":                   {a.token, path + "?before=", 400, "before must be a thread of this ticket"},
			"another ticket's thread before": {a.token, path + "?before=" + string(other.Threads[0].ID), 400, "before must be a thread of this ticket"},
		} {
			t.Run(q, func(t *testing.T) {
				wantStatus(t, e.req(t, "GET", status.path, status.token, nil), status.code, status.message)
			})
		}
	})
}

// TestListStreamsChunks reads a page of more tickets than one chunk holds and checks
// every item against its own GET.
func TestListStreamsChunks(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		a := e.client(t, "A")
		for i := range 23 {
			tk := e.createTicket(t, a, fmt.Sprintf("t%d", i))
			e.addThreads(t, a, tk.ID, i+1)
		}
		l := e.list(t, a, "limit=100&sort=createdAt&countByStatus=true")
		if len(l.Data) != 23 || l.Total != 23 || l.Pages != 1 || l.Limit != 100 || l.Page != 1 || l.Counts == nil || l.Counts.All != 23 {
			t.Fatalf("list: got %d items, total %d, pages %d, limit %d, page %d, counts %v", len(l.Data), l.Total, l.Pages, l.Limit, l.Page, l.Counts)
		}
		for i, lt := range l.Data {
			got := e.get(t, a, lt.ID)
			if lt.Title != fmt.Sprintf("t%d", i) || *lt.ThreadsTotal != i+1 || len(lt.Threads) != min(i+1, 20) {
				t.Fatalf("item %d: got %q with %d threads of %d", i, lt.Title, len(lt.Threads), *lt.ThreadsTotal)
			}
			if lt.Threads[len(lt.Threads)-1].ID != got.Threads[len(got.Threads)-1].ID {
				t.Fatalf("item %d: last thread %s, GET's is %s", i, lt.Threads[len(lt.Threads)-1].ID, got.Threads[len(got.Threads)-1].ID)
			}
		}
	})
}

// failingThreads fails LatestThreads after its first call: a list whose second chunk
// cannot be read.
type failingThreads struct {
	store.Store
	calls int
}

func (f *failingThreads) LatestThreads(ctx context.Context, c store.Caller, ids []store.ID, n int) (map[store.ID][]store.Thread, error) {
	f.calls++
	if f.calls > 1 {
		return nil, errors.New("the database went away")
	}
	return f.Store.LatestThreads(ctx, c, ids, n)
}

// TestListAbortsMidStream checks that a list failing after its status was sent is cut
// off (the client sees a broken body), never ended as if it were whole; and that a
// failure before anything was sent is an ordinary 500.
func TestListAbortsMidStream(t *testing.T) {
	st := &failingThreads{Store: memory.New()}
	e := newEnv(t, st)
	a := e.client(t, "A")
	for i := range 15 {
		e.createTicket(t, a, fmt.Sprintf("t%d", i))
	}
	req, err := http.NewRequest("GET", e.url+"/support-tickets?limit=100", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || err == nil {
		t.Fatalf("got status %d, read error %v after %d bytes; want 200 and a broken body", res.StatusCode, err, len(body))
	}

	st.calls = 1 // the next list fails at its first chunk
	wantStatus(t, e.req(t, "GET", "/support-tickets", a.token, nil), http.StatusInternalServerError, "")
}
