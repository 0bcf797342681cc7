package wsclient

import "github.com/supportd/supportd/cmd/supportbench/internal/ledger"

import "testing"

func TestParseFrame(t *testing.T) {
	marker := []byte("sb.ab12.")
	cases := []struct {
		in   string
		want frame
	}{
		{`{"type":"hello","data":{"lastEventId":"0","role":"client"}}`, frame{typ: fHello}},
		{`{"type":"presence","data":{"agentsOnline":3}}`, frame{typ: fPresence}},
		{`{"type":"thread.added","id":"1042","ticketId":"aa","at":"x","data":{"_id":"bb","message":"sb.ab12.r77 hello"}}`,
			frame{typ: fThreadAdded, id: 1042, key: ledger.Key(ledger.KindReply, 77)}},
		{`{"type":"thread.added","id":"7","data":{"message":"sb.zz99.r5 another run"}}`,
			frame{typ: fThreadAdded, id: 7}},
		// ticket.created carries the title's nonce (c) before its first thread's (t).
		{`{"type":"ticket.created","id":"5","data":{"title":"sb.ab12.c3 t","threads":[{"message":"sb.ab12.t3 m"}]}}`,
			frame{typ: fTicketCreated, id: 5, key: ledger.Key(ledger.KindCreated, 3)}},
		{`{"type":"thread.added","id":"6","data":{"message":"sb.ab12.t3 m"}}`,
			frame{typ: fThreadAdded, id: 6, key: ledger.Key(ledger.KindFirst, 3)}},
		{`{"type":"counts","id":"8","ticketId":"aa","data":{"all":1}}`, frame{typ: fEvent, id: 8}},
		// Another field order goes through encoding/json.
		{`{"id":"9","type":"thread.added","data":{"message":"sb.ab12.r1 x"}}`,
			frame{typ: fThreadAdded, id: 9, key: ledger.Key(ledger.KindReply, 1)}},
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
	if n := ledger.Nonce("ab12", ledger.Key(ledger.KindReply, 77)); n != "sb.ab12.r77" {
		t.Errorf("nonce = %q", n)
	}
}
