package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/supportd/supportd/store"
)

func listTests() []test {
	return []test{
		{"Filters", testListFilters},
		{"Sorts", testListSorts},
		{"Pages", testListPages},
		{"CountsOnlyWhenAsked", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			f.create(f.acme, "one")
			if p := f.list(f.ann, store.ListFilter{}); p.Counts != nil {
				t.Errorf("Counts without asking: got %+v, want nil", *p.Counts)
			}
			p := f.list(f.globex, store.ListFilter{Counts: true})
			if p.Counts == nil || *p.Counts != (store.Counts{}) || p.Total != 0 || len(p.Tickets) != 0 {
				t.Errorf("empty list with counts: got %d tickets, total %d, counts %v, want none, 0, all zero", len(p.Tickets), p.Total, p.Counts)
			}
		}},
		{"ThreadsAndUnread", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a := f.create(f.acme, "answered", "q1", "q2")
			b := f.create(f.acme, "waiting", "q")
			f.reply(f.ann, a.ID, "an answer")
			want := map[store.ID]struct{ threads, client, admin int }{
				a.ID: {3, 1, 2},
				b.ID: {1, 0, 1},
			}
			for _, c := range []store.Caller{f.acme, f.sam} {
				for _, tk := range f.list(c, store.ListFilter{}).Tickets {
					w := want[tk.ID]
					unread := w.admin
					if c.Role == store.RoleClient {
						unread = w.client
					}
					if len(tk.Threads) != w.threads {
						t.Errorf("%s's list, %q threads: got %d, want %d", c.Name, tk.Title, len(tk.Threads), w.threads)
					}
					if *tk.Unread != unread {
						t.Errorf("%s's list, %q unread: got %d, want %d", c.Name, tk.Title, *tk.Unread, unread)
					}
				}
			}
		}},
	}
}

// listData makes five tickets, one status and category each, for filter cases.
// numbers[i] is the number of ticket i (0-based).
func listData(f *fixture) (numbers []int64, statuses []store.Status) {
	f.tb.Helper()
	type row struct {
		owner    store.Caller
		category store.Category
		status   store.Status
		assignee store.ID
	}
	rows := []row{
		{f.acme, "billing", store.StatusPending, ""},
		{f.acme, "integration", store.StatusProgress, annID},
		{f.globex, "billing", store.StatusResolved, samID},
		{f.globex, "smartScan", store.StatusCancelled, ""},
		{f.acme, "other", store.StatusPending, annID},
	}
	for i, r := range rows {
		in := newTicket(r.owner, fmt.Sprintf("ticket %d", i), "hello")
		in.Category = r.category
		tk := f.createWith(in)
		u := store.TicketUpdate{Status: &r.status}
		if r.assignee != "" {
			u.Assignee = set(r.assignee)
		}
		f.update(f.ann, tk.ID, u)
		numbers = append(numbers, tk.Number)
		statuses = append(statuses, r.status)
		pause()
	}
	return numbers, statuses
}

func testListFilters(t *testing.T, s store.Store) {
	f := setup(t, s)
	numbers, statuses := listData(f)
	acme, globex, ann, sam := store.ID(acmeID), store.ID(globexID), store.ID(annID), store.ID(samID)
	billing, smartCheck := store.Category("billing"), store.Category("smartCheck")
	tests := []struct {
		name   string
		caller store.Caller
		filter store.ListFilter
		want   []int // indexes into listData's tickets, with no status filter
	}{
		{"super admin, all", f.ann, store.ListFilter{}, []int{0, 1, 2, 3, 4}},
		{"category", f.ann, store.ListFilter{Category: &billing}, []int{0, 2}},
		{"category without tickets", f.sam, store.ListFilter{Category: &smartCheck}, nil},
		{"client acme", f.ann, store.ListFilter{Client: &acme}, []int{0, 1, 4}},
		{"client globex", f.ann, store.ListFilter{Client: &globex}, []int{2, 3}},
		{"assignee ann", f.ann, store.ListFilter{Assignee: &ann}, []int{1, 4}},
		{"assignee sam", f.sam, store.ListFilter{Assignee: &sam}, []int{2}},
		{"client and category", f.ann, store.ListFilter{Client: &acme, Category: &billing}, []int{0}},
		{"client and assignee", f.ann, store.ListFilter{Client: &globex, Assignee: &ann}, nil},
		{"acme sees its own", f.acme, store.ListFilter{}, []int{0, 1, 4}},
		{"globex sees its own", f.globex, store.ListFilter{}, []int{2, 3}},
		{"a client's client filter is ignored", f.acme, store.ListFilter{Client: &globex}, []int{0, 1, 4}},
		{"a client's assignee filter is ignored", f.acme, store.ListFilter{Assignee: &sam}, []int{0, 1, 4}},
		{"a client's category filter applies", f.globex, store.ListFilter{Category: &billing}, []int{2}},
	}
	for _, tc := range tests {
		// Every case runs without a status filter and with each status: counts must
		// not depend on it, the tickets and total must.
		var wantCounts store.Counts
		for _, i := range tc.want {
			wantCounts.Add(statuses[i], 1)
		}
		for _, status := range append([]*store.Status{nil}, statusPtrs()...) {
			name := tc.name + ", any status"
			lf := tc.filter
			lf.Counts = true
			lf.Status = status
			if status != nil {
				name = tc.name + ", " + string(*status)
			}
			var want []int64
			for _, i := range tc.want {
				if status == nil || statuses[i] == *status {
					want = append(want, numbers[i])
				}
			}
			slices.Reverse(want) // newest first
			p := f.list(tc.caller, lf)
			if got := ticketNumbers(p.Tickets); !slices.Equal(got, want) {
				t.Errorf("%s: got tickets %v, want %v", name, got, want)
			}
			if p.Total != int64(len(want)) {
				t.Errorf("%s: got total %d, want %d", name, p.Total, len(want))
			}
			if p.Counts == nil || *p.Counts != wantCounts {
				t.Errorf("%s: got counts %+v, want %+v", name, p.Counts, wantCounts)
			}
		}
	}
}

func statusPtrs() []*store.Status {
	var out []*store.Status
	for _, s := range store.Statuses {
		out = append(out, &s)
	}
	return out
}

func ticketNumbers(ts []store.Ticket) []int64 {
	out := []int64{}
	for _, t := range ts {
		out = append(out, t.Number)
	}
	return out
}

func testListSorts(t *testing.T, s store.Store) {
	f := setup(t, s)
	var n []int64
	var ids []store.ID
	for i := range 3 {
		tk := f.create(f.acme, fmt.Sprintf("ticket %d", i))
		n, ids = append(n, tk.Number), append(ids, tk.ID)
		pause()
	}
	// Last touched: ticket 1 (an update), then ticket 0 (a reply), then ticket 2.
	f.reply(f.ann, ids[0], "bump")
	pause()
	f.update(f.ann, ids[1], store.TicketUpdate{Title: ptr("renamed")})
	tests := []struct {
		sort string
		want []int64
	}{
		{"-createdAt", []int64{n[2], n[1], n[0]}},
		{"createdAt", []int64{n[0], n[1], n[2]}},
		{"+createdAt", []int64{n[0], n[1], n[2]}},
		{"-updatedAt", []int64{n[1], n[0], n[2]}},
		{"updatedAt", []int64{n[2], n[0], n[1]}},
		{"-number", []int64{n[2], n[1], n[0]}},
		{"number", []int64{n[0], n[1], n[2]}},
	}
	for _, tc := range tests {
		sort, err := store.ParseSort(tc.sort)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []store.Caller{f.acme, f.ann} {
			got := ticketNumbers(f.list(c, store.ListFilter{Sort: sort}).Tickets)
			if !slices.Equal(got, tc.want) {
				t.Errorf("sort %s by %s: got %v, want %v", tc.sort, c.Name, got, tc.want)
			}
		}
	}
}

func testListPages(t *testing.T, s store.Store) {
	f := setup(t, s)
	var n []int64
	for i := range 5 {
		n = append(n, f.create(f.acme, fmt.Sprintf("ticket %d", i)).Number)
	}
	f.create(f.globex, "not acme's")
	asc := store.Sort{Field: "number"}
	tests := []struct {
		page, limit int
		want        []int64
	}{
		{1, 2, n[0:2]},
		{2, 2, n[2:4]},
		{3, 2, n[4:5]},
		{4, 2, nil},
		{1, 5, n},
		{1, 100, n},
		{2, 5, nil},
		{2, 3, n[3:5]},
	}
	for _, tc := range tests {
		p := f.list(f.acme, store.ListFilter{Page: tc.page, Limit: tc.limit, Sort: asc, Counts: true})
		if got := ticketNumbers(p.Tickets); !slices.Equal(got, tc.want) {
			t.Errorf("page %d, limit %d: got %v, want %v", tc.page, tc.limit, got, tc.want)
		}
		if p.Total != 5 {
			t.Errorf("page %d, limit %d: got total %d, want 5", tc.page, tc.limit, p.Total)
		}
		if p.Counts == nil || p.Counts.All != 5 || p.Counts.Pending != 5 {
			t.Errorf("page %d, limit %d: got counts %+v, want 5 pending", tc.page, tc.limit, p.Counts)
		}
	}
}
