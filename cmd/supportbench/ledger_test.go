package main

import "testing"

func TestCheckLedger(t *testing.T) {
	r := func(n int) int64 { return makeKey(kindReply, n) }
	cases := []struct {
		name     string
		expected []int64
		maybe    func(int64) bool
		got      []recv
		want     tally
	}{
		{
			name:     "exact",
			expected: []int64{r(1), r(2), r(3)},
			got:      []recv{{10, r(1)}, {11, r(2)}, {14, r(3)}},
			want:     tally{Sockets: 1, Expected: 3, Received: 3},
		},
		{
			name:     "foreign events in between are checked for order only",
			expected: []int64{r(1), r(2)},
			got:      []recv{{10, r(1)}, {11, 0}, {12, 0}, {13, r(2)}},
			want:     tally{Sockets: 1, Expected: 2, Received: 4, Foreign: 2},
		},
		{
			name:     "missing",
			expected: []int64{r(1), r(2), r(3)},
			got:      []recv{{10, r(1)}},
			want:     tally{Sockets: 1, Expected: 3, Received: 1, Missing: 2},
		},
		{
			name:     "same event twice",
			expected: []int64{r(1), r(2)},
			got:      []recv{{10, r(1)}, {11, r(2)}, {11, r(2)}},
			want:     tally{Sockets: 1, Expected: 2, Received: 3, Duplicated: 1},
		},
		{
			name:     "same write under two event ids",
			expected: []int64{r(1)},
			got:      []recv{{10, r(1)}, {12, r(1)}},
			want:     tally{Sockets: 1, Expected: 1, Received: 2, Duplicated: 1},
		},
		{
			name:     "a foreign id repeated is a duplicate too",
			expected: nil,
			got:      []recv{{10, 0}, {10, 0}},
			want:     tally{Sockets: 1, Received: 2, Foreign: 2, Duplicated: 1},
		},
		{
			name:     "out of order",
			expected: []int64{r(1), r(2), r(3)},
			got:      []recv{{10, r(1)}, {13, r(3)}, {12, r(2)}},
			want:     tally{Sockets: 1, Expected: 3, Received: 3, OutOfOrder: 1},
		},
		{
			name:     "a replayed old id after newer ones is a duplicate, not also out of order",
			expected: []int64{r(1), r(2)},
			got:      []recv{{10, r(1)}, {11, r(2)}, {10, r(1)}},
			want:     tally{Sockets: 1, Expected: 2, Received: 3, Duplicated: 1},
		},
		{
			name:     "another socket's event is a scope leak",
			expected: []int64{r(1)},
			got:      []recv{{10, r(1)}, {11, r(2)}},
			want:     tally{Sockets: 1, Expected: 1, Received: 2, Unexpected: 1},
		},
		{
			name:     "a write without a clear outcome may or may not arrive",
			expected: []int64{r(1)},
			maybe:    func(k int64) bool { return k == r(2) || k == r(3) },
			got:      []recv{{10, r(1)}, {11, r(2)}},
			want:     tally{Sockets: 1, Expected: 1, Received: 2},
		},
		{
			name:     "nothing expected, nothing received",
			want:     tally{Sockets: 1},
			expected: nil,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := checkLedger(c.expected, c.maybe, c.got)
			if got != c.want {
				t.Fatalf("got %+v\nwant %+v", got, c.want)
			}
			if got.clean() != (c.want.Missing+c.want.Duplicated+c.want.OutOfOrder+c.want.Unexpected == 0) {
				t.Fatalf("clean() = %v for %+v", got.clean(), got)
			}
		})
	}
}

func TestParseFrame(t *testing.T) {
	marker := []byte("sb.ab12.")
	cases := []struct {
		in   string
		want frame
	}{
		{`{"type":"hello","data":{"lastEventId":"0","role":"client"}}`, frame{typ: fHello}},
		{`{"type":"presence","data":{"agentsOnline":3}}`, frame{typ: fPresence}},
		{`{"type":"thread.added","id":"1042","ticketId":"aa","at":"x","data":{"_id":"bb","message":"sb.ab12.r77 hello"}}`,
			frame{typ: fThreadAdded, id: 1042, key: makeKey(kindReply, 77)}},
		{`{"type":"thread.added","id":"7","data":{"message":"sb.zz99.r5 another run"}}`,
			frame{typ: fThreadAdded, id: 7}},
		// ticket.created carries the title's nonce (c) before its first thread's (t).
		{`{"type":"ticket.created","id":"5","data":{"title":"sb.ab12.c3 t","threads":[{"message":"sb.ab12.t3 m"}]}}`,
			frame{typ: fTicketCreated, id: 5, key: makeKey(kindCreated, 3)}},
		{`{"type":"thread.added","id":"6","data":{"message":"sb.ab12.t3 m"}}`,
			frame{typ: fThreadAdded, id: 6, key: makeKey(kindFirst, 3)}},
		{`{"type":"counts","id":"8","ticketId":"aa","data":{"all":1}}`, frame{typ: fEvent, id: 8}},
		// Another field order goes through encoding/json.
		{`{"id":"9","type":"thread.added","data":{"message":"sb.ab12.r1 x"}}`,
			frame{typ: fThreadAdded, id: 9, key: makeKey(kindReply, 1)}},
	}
	for _, c := range cases {
		got, ok := parseFrame([]byte(c.in), marker)
		if !ok || got != c.want {
			t.Errorf("parseFrame(%s) = %+v, %v; want %+v", c.in, got, ok, c.want)
		}
	}
	if _, ok := parseFrame([]byte(`not json`), marker); ok {
		t.Errorf("parseFrame accepted garbage")
	}
	if n := nonce("ab12", makeKey(kindReply, 77)); n != "sb.ab12.r77" {
		t.Errorf("nonce = %q", n)
	}
}
