package ledger

import "testing"

func TestCheckLedger(t *testing.T) {
	r := func(n int) int64 { return Key(KindReply, n) }
	cases := []struct {
		name     string
		expected []int64
		maybe    func(int64) bool
		got      []Recv
		want     Tally
	}{
		{
			name:     "exact",
			expected: []int64{r(1), r(2), r(3)},
			got:      []Recv{{10, r(1)}, {11, r(2)}, {14, r(3)}},
			want:     Tally{Sockets: 1, Expected: 3, Received: 3},
		},
		{
			name:     "foreign events in between are checked for order only",
			expected: []int64{r(1), r(2)},
			got:      []Recv{{10, r(1)}, {11, 0}, {12, 0}, {13, r(2)}},
			want:     Tally{Sockets: 1, Expected: 2, Received: 4, Foreign: 2},
		},
		{
			name:     "missing",
			expected: []int64{r(1), r(2), r(3)},
			got:      []Recv{{10, r(1)}},
			want:     Tally{Sockets: 1, Expected: 3, Received: 1, Missing: 2},
		},
		{
			name:     "same event twice",
			expected: []int64{r(1), r(2)},
			got:      []Recv{{10, r(1)}, {11, r(2)}, {11, r(2)}},
			want:     Tally{Sockets: 1, Expected: 2, Received: 3, Duplicated: 1},
		},
		{
			name:     "same write under two event ids",
			expected: []int64{r(1)},
			got:      []Recv{{10, r(1)}, {12, r(1)}},
			want:     Tally{Sockets: 1, Expected: 1, Received: 2, Duplicated: 1},
		},
		{
			name:     "a foreign id repeated is a duplicate too",
			expected: nil,
			got:      []Recv{{10, 0}, {10, 0}},
			want:     Tally{Sockets: 1, Received: 2, Foreign: 2, Duplicated: 1},
		},
		{
			name:     "out of order",
			expected: []int64{r(1), r(2), r(3)},
			got:      []Recv{{10, r(1)}, {13, r(3)}, {12, r(2)}},
			want:     Tally{Sockets: 1, Expected: 3, Received: 3, OutOfOrder: 1},
		},
		{
			name:     "a replayed old id after newer ones is a duplicate, not also out of order",
			expected: []int64{r(1), r(2)},
			got:      []Recv{{10, r(1)}, {11, r(2)}, {10, r(1)}},
			want:     Tally{Sockets: 1, Expected: 2, Received: 3, Duplicated: 1},
		},
		{
			name:     "another socket's event is a scope leak",
			expected: []int64{r(1)},
			got:      []Recv{{10, r(1)}, {11, r(2)}},
			want:     Tally{Sockets: 1, Expected: 1, Received: 2, Unexpected: 1},
		},
		{
			name:     "a write without a clear outcome may or may not arrive",
			expected: []int64{r(1)},
			maybe:    func(k int64) bool { return k == r(2) || k == r(3) },
			got:      []Recv{{10, r(1)}, {11, r(2)}},
			want:     Tally{Sockets: 1, Expected: 1, Received: 2},
		},
		{
			name:     "nothing expected, nothing received",
			want:     Tally{Sockets: 1},
			expected: nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Check(c.expected, c.maybe, c.got)
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			if got.Clean() != (c.want.Missing+c.want.Duplicated+c.want.OutOfOrder+c.want.Unexpected == 0) {
				t.Fatalf("clean() = %v for %+v", got.Clean(), got)
			}
		})
	}
}
