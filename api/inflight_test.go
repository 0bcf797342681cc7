package api_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/postgres"
)

// heldStore holds every search (a list with words; with plain, every list without)
// until release is closed, telling held each time one arrives: a way to have
// reads in flight for as long as a test needs.
type heldStore struct {
	store.Store
	held    chan struct{}
	release chan struct{}
	plain   bool
}

func (s *heldStore) ListTickets(ctx context.Context, c store.Caller, f store.ListFilter) (store.TicketPage, error) {
	if (len(f.Words) > 0) != s.plain {
		s.held <- struct{}{}
		select {
		case <-s.release:
		case <-ctx.Done():
			return store.TicketPage{}, ctx.Err()
		}
	}
	return s.Store.ListTickets(ctx, c, f)
}

// TestExpensiveReadsInFlightCap holds two searches of one caller in flight: its third
// expensive read (a search, a page above the default size, a thread page) gets 429
// with Retry-After 1, while another caller, the caller's plain pages and its
// single-ticket reads go on; once the two finish, the caller may search again.
func TestExpensiveReadsInFlightCap(t *testing.T) {
	for name, open := range openers() {
		t.Run(name, func(t *testing.T) {
			st := &heldStore{Store: open(t), held: make(chan struct{}), release: make(chan struct{})}
			e := newEnv(t, st)
			a, b := e.client(t, "A"), e.client(t, "B")
			tk := e.createTicket(t, a, "Invoice is wrong")
			search := func(u user) *http.Response {
				r, _ := http.NewRequest("GET", e.url+"/support-tickets?q=invoice", nil)
				r.Header.Set("Authorization", "Bearer "+u.token)
				res, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Error(err)
					return nil
				}
				res.Body.Close()
				return res
			}
			var wg sync.WaitGroup
			statuses := make(chan int, 2)
			for range 2 {
				wg.Go(func() {
					if res := search(a); res != nil {
						statuses <- res.StatusCode
					}
				})
			}
			for range 2 {
				<-st.held
			}

			r := e.req(t, "GET", "/support-tickets?q=invoice", a.token, nil)
			wantStatus(t, r, http.StatusTooManyRequests, "")
			if got := r.header.Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After: got %q, want 1", got)
			}
			if msg := r.apiError(t).Message; !strings.Contains(msg, "at most 2") {
				t.Errorf("message %q should say the cap", msg)
			}
			wantStatus(t, e.req(t, "GET", "/support-tickets?limit=11", a.token, nil), http.StatusTooManyRequests, "")
			wantStatus(t, e.req(t, "GET", "/support-tickets/"+string(tk.ID)+"/threads", a.token, nil), http.StatusTooManyRequests, "")
			wantStatus(t, e.req(t, "GET", "/support-tickets?limit=10", a.token, nil), http.StatusOK, "")
			wantStatus(t, e.req(t, "GET", "/support-tickets/"+string(tk.ID), a.token, nil), http.StatusOK, "")
			go func() { <-st.held }() // B's search, held like the others
			close(st.release)
			wantStatus(t, e.req(t, "GET", "/support-tickets?q=invoice", b.token, nil), http.StatusNotFound, "")
			wg.Wait()
			close(statuses)
			for s := range statuses {
				if s != http.StatusOK {
					t.Errorf("a held search answered %d, want 200", s)
				}
			}
			go func() { <-st.held }()
			wantStatus(t, e.req(t, "GET", "/support-tickets?q=invoice", a.token, nil), http.StatusOK, "")
		})
	}
}

// TestPlainPagesInFlightCap holds six plain list pages of one caller in flight: its
// seventh gets 429 saying the cap, while its searches (a pool of their own) and
// another caller's pages go on.
func TestPlainPagesInFlightCap(t *testing.T) {
	st := &heldStore{Store: openers()["memory"](t), held: make(chan struct{}), release: make(chan struct{}), plain: true}
	e := newEnv(t, st)
	a, b := e.client(t, "A"), e.client(t, "B")
	e.createTicket(t, a, "Invoice is wrong")
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			r, _ := http.NewRequest("GET", e.url+"/support-tickets", nil)
			r.Header.Set("Authorization", "Bearer "+a.token)
			if res, err := http.DefaultClient.Do(r); err != nil || res.StatusCode != http.StatusOK {
				t.Errorf("a held page: %v %v, want 200", res, err)
			} else {
				res.Body.Close()
			}
		})
	}
	for range 6 {
		<-st.held
	}
	r := e.req(t, "GET", "/support-tickets?countByStatus=true", a.token, nil)
	wantStatus(t, r, http.StatusTooManyRequests, "")
	if msg := r.apiError(t).Message; !strings.Contains(msg, "at most 6") {
		t.Errorf("message %q should say the cap", msg)
	}
	wantStatus(t, e.req(t, "GET", "/support-tickets?q=invoice", a.token, nil), http.StatusOK, "")
	go func() { <-st.held }() // B's page, held like the others
	close(st.release)
	wantStatus(t, e.req(t, "GET", "/support-tickets", b.token, nil), http.StatusNotFound, "")
	wg.Wait()
}

// TestSearchDeadline makes a search outlast the store's deadline: 400 saying how to
// narrow it, and lists without words are not held to it.
func TestSearchDeadline(t *testing.T) {
	db := openers()["postgres"](t).(*postgres.DB)
	db.SetSearchTimeout(time.Millisecond)
	e := newEnv(t, db)
	a := e.client(t, "A")
	threads := make([]map[string]any, 100)
	for i := range threads {
		threads[i] = map[string]any{"message": strings.Repeat("lorem ipsum ", 800)}
	}
	for range 5 {
		wantStatus(t, e.req(t, "POST", "/support-tickets/insert", a.token,
			map[string]any{"title": "Long", "category": "other", "threads": threads}), http.StatusCreated, "")
	}
	r := e.req(t, "GET", "/support-tickets?countByStatus=true&q=absent+a+b", a.token, nil)
	wantStatus(t, r, http.StatusBadRequest, "q matches too much to search in time: use longer or rarer words, or filter by status, category or client")
	wantStatus(t, e.req(t, "GET", "/support-tickets?countByStatus=true", a.token, nil), http.StatusOK, "")
}
