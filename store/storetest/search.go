package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

func searchTests() []test {
	return []test{
		{"Words", testSearchWords},
		{"WithFiltersAndCounts", func(t *testing.T, s store.Store) {
			f := setup(t, s)
			a := f.create(f.acme, "Save 50% now")
			b := f.create(f.acme, "Save 500 now")
			f.create(f.acme, "Unrelated")
			f.setStatus(b.ID, store.StatusResolved)
			pending := store.StatusPending
			p := f.list(f.acme, store.ListFilter{Words: []string{"save"}, Status: &pending, Counts: true})
			if got, want := ticketNumbers(p.Tickets), []int64{a.Number}; !slices.Equal(got, want) {
				t.Errorf("search save, pending: got %v, want %v", got, want)
			}
			want := store.Counts{All: 2, Open: 1, Closed: 1, Pending: 1, Resolved: 1}
			if p.Total != 1 || p.Counts == nil || *p.Counts != want {
				t.Errorf("search save, pending: got total %d, counts %+v, want 1, %+v", p.Total, p.Counts, want)
			}
		}},
	}
}

func testSearchWords(t *testing.T, s store.Store) {
	f := setup(t, s)
	mk := func(c store.Caller, title, subject, message string) int64 {
		in := newTicket(c, title, message)
		if subject != "" {
			in.Subject = &subject
		}
		return f.createWith(in).Number
	}
	a := mk(f.acme, "Save 50% now", "", "hello")
	b := mk(f.acme, "Save 500 now", "", "hello")
	c := mk(f.acme, "Naming", "snake_case rules", "hi")
	d := mk(f.acme, "one ice cream", "", "yum")
	e := mk(f.acme, `Paths`, "", `it is in C:\temp\x`)
	g := mk(f.acme, "Printer", "", "paper jam")
	other := mk(f.globex, "Save 50% now too", "", "hello")
	// Words may be in any thread, replies included.
	for _, tk := range f.list(f.ann, store.ListFilter{}).Tickets {
		if tk.Number == g {
			f.reply(f.ann, tk.ID, "try the Tray")
		}
	}
	tests := []struct {
		caller store.Caller
		words  string
		want   []int64 // any order
	}{
		{f.acme, "", []int64{a, b, c, d, e, g}},
		{f.acme, "save", []int64{a, b}},
		{f.ann, "save", []int64{a, b, other}},
		{f.acme, "SAVE NoW", []int64{a, b}},
		{f.acme, "50%", []int64{a}},
		{f.acme, "%", []int64{a}},
		{f.acme, "_", []int64{c}},
		{f.acme, "e_c", []int64{c}},
		{f.acme, `:\t`, []int64{e}},
		{f.acme, `\`, []int64{e}},
		{f.acme, "snake", []int64{c}},
		{f.acme, "naming RULES", []int64{c}},
		{f.acme, "paper tray", []int64{g}},
		{f.acme, "paper ice", nil},
		{f.acme, "cream yum", []int64{d}},
		{f.acme, "absent", nil},
		{f.globex, "hello", []int64{other}},
	}
	for _, tc := range tests {
		p := f.list(tc.caller, store.ListFilter{Words: strings.Fields(tc.words), Counts: true})
		got := ticketNumbers(p.Tickets)
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("search %q by %s: got %v, want %v", tc.words, tc.caller.Name, got, want)
		}
		if p.Total != int64(len(want)) || p.Counts == nil || p.Counts.All != int64(len(want)) {
			t.Errorf("search %q by %s: got total %d, counts %+v, want %d", tc.words, tc.caller.Name, p.Total, p.Counts, len(want))
		}
	}
}
