package postgres

import (
	"context"
	"testing"

	"github.com/supportd/supportd/store"
)

// TestListFarPage: a page number past every ticket, however large, is an empty page.
func TestListFarPage(t *testing.T) {
	db, _ := newTestDB(t)
	mustCreate(t, db, newTicket(client(1), "only"))
	for _, page := range []int{2, 1 << 40, int(^uint(0) >> 1)} {
		p, err := db.ListTickets(context.Background(), agent(1), store.ListFilter{Page: page, Limit: 100, Counts: true})
		if err != nil {
			t.Fatalf("ListTickets(page %d): %v", page, err)
		}
		if len(p.Tickets) != 0 || p.Total != 1 {
			t.Errorf("ListTickets(page %d): got %d tickets, total %d; want none, total 1", page, len(p.Tickets), p.Total)
		}
	}
}
