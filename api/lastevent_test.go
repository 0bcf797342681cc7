package api_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// Every REST write answers the id the relay's round gave after its commit; when
// the round fails, the write still answers, without the header, and asks for a
// round later.
func TestWritesAnswerXLastEventID(t *testing.T) {
	for _, tt := range []struct {
		name string
		sync func(context.Context) (int64, error)
		want string
	}{
		{"numbered", func(context.Context) (int64, error) { return 42, nil }, "42"},
		{"numbering failed", func(context.Context) (int64, error) { return 0, errors.New("database gone") }, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, openers()["memory"](t), withSync(tt.sync))
			c, agent := e.client(t, "C"), e.agent(t, "A")
			ins := e.req(t, "POST", "/support-tickets/insert", c.token, map[string]any{
				"title": "t", "category": "billing", "threads": []any{map[string]any{"message": "hi"}}})
			var tk struct{ Data store.Ticket }
			ins.decode(t, &tk)
			id := string(tk.Data.ID)
			writes := []struct {
				what string
				r    response
			}{
				{"insert", ins},
				{"reply", e.req(t, "POST", "/support-tickets/"+id+"/thread", agent.token, map[string]any{"message": "ok"})},
				{"PUT", e.req(t, "PUT", "/support-tickets/"+id, agent.token, map[string]any{"status": "resolved"})},
				{"seen", e.req(t, "PUT", "/support-tickets/threads/seen", agent.token, map[string]any{"threadIds": []store.ID{tk.Data.Threads[0].ID}})},
				{"seen twice", e.req(t, "PUT", "/support-tickets/threads/seen", agent.token, map[string]any{"threadIds": []store.ID{tk.Data.Threads[0].ID}})},
				{"bulk of nothing", e.req(t, "POST", "/support-tickets/bulk", agent.token, map[string]any{"ids": []store.ID{e.ids.New(time.Now())}})},
				{"DELETE", e.req(t, "DELETE", "/support-tickets/"+id, agent.token, nil)},
			}
			for _, w := range writes {
				if w.r.status/100 != 2 {
					t.Fatalf("%s: status %d %s", w.what, w.r.status, w.r.body)
				}
				if got := w.r.header.Get("X-Last-Event-Id"); got != tt.want {
					t.Errorf("%s: got X-Last-Event-Id %q, want %q", w.what, got, tt.want)
				}
			}
			if kicks := e.kicks.Load(); (tt.want == "") != (kicks > 0) {
				t.Errorf("got %d kicks, want some only when numbering failed", kicks)
			}
		})
	}
}
