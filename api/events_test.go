package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

type feedPage struct {
	Data []struct {
		Type     string          `json:"type"`
		ID       string          `json:"id"`
		TicketID store.ID        `json:"ticketId"`
		At       string          `json:"at"`
		Data     json.RawMessage `json:"data"`
	} `json:"data"`
	LastEventID string `json:"lastEventId"`
}

func (e *env) feed(t *testing.T, u user, query string) feedPage {
	t.Helper()
	r := e.req(t, "GET", "/events?"+query, u.token, nil)
	wantStatus(t, r, http.StatusOK, "")
	var p feedPage
	r.decode(t, &p)
	return p
}

// TestEventsFeedPagesInOrderWithinScope: a super admin pages through every event; a
// client gets its own tickets' only, with its own counts, and a lastEventId that
// skips past the others'.
func TestEventsFeedPagesInOrderWithinScope(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ann, acme, globex := e.agent(t, "Ann"), e.client(t, "Acme"), e.client(t, "Globex")
		mine := e.createTicket(t, acme, "mine")
		e.createTicket(t, globex, "theirs")
		e.reply(t, ann, mine.ID, "hello")
		all := e.events(t)
		var ids []string
		after := "0"
		for range 10 {
			p := e.feed(t, ann, "limit=3&after="+after)
			for _, ev := range p.Data {
				ids = append(ids, ev.ID)
			}
			if len(p.Data) < 3 {
				break
			}
			after = p.LastEventID
		}
		if len(ids) != len(all) {
			t.Fatalf("super admin paged %d events, want %d", len(ids), len(all))
		}
		for i, ev := range all {
			if ids[i] != strconv.FormatInt(ev.ID, 10) {
				t.Fatalf("event %d: got id %s, want %d (in order)", i, ids[i], ev.ID)
			}
		}
		p := e.feed(t, acme, "")
		last := strconv.FormatInt(all[len(all)-1].ID, 10)
		if p.LastEventID != last {
			t.Errorf("client lastEventId %s, want the newest id %s", p.LastEventID, last)
		}
		for _, ev := range p.Data {
			if ev.TicketID != mine.ID {
				t.Fatalf("client got event %s of ticket %s, not its own", ev.ID, ev.TicketID)
			}
			if ev.Type == "counts" && !strings.Contains(string(ev.Data), `"all":1`) {
				t.Fatalf("client counts %s: want its own (one ticket)", ev.Data)
			}
		}
		if len(p.Data) == 0 || len(p.Data) >= len(all) {
			t.Fatalf("client got %d of %d events, want its own only", len(p.Data), len(all))
		}
		if p := e.feed(t, acme, "after="+last); len(p.Data) != 0 || p.LastEventID != last {
			t.Fatalf("after the newest: got %d events and lastEventId %s, want none and %s", len(p.Data), p.LastEventID, last)
		}
	})
}

// TestEventsFeedAfterPrunedIsGone: once the log's start is pruned, an after before
// it answers 410 naming the oldest kept id; without after the feed starts there.
func TestEventsFeedAfterPrunedIsGone(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ann := e.agent(t, "Ann")
		acme := e.client(t, "Acme")
		e.createTicket(t, acme, "old")
		old := e.events(t)
		if _, err := e.st.PruneEvents(t.Context(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		e.createTicket(t, acme, "new")
		fresh := e.events(t)
		oldest := strconv.FormatInt(fresh[0].ID, 10)
		wantStatus(t, e.req(t, "GET", "/events?after=0", ann.token, nil), http.StatusGone,
			"Events after 0 are no longer kept: the oldest kept is "+oldest)
		wantStatus(t, e.req(t, "GET", "/events?after="+strconv.FormatInt(old[len(old)-1].ID, 10), ann.token, nil), http.StatusOK, "")
		if p := e.feed(t, ann, ""); len(p.Data) != len(fresh) || p.Data[0].ID != oldest {
			t.Fatalf("without after: got %d events from %v, want %d from %s", len(p.Data), p.Data, len(fresh), oldest)
		}
	})
}

func TestEventsFeedBadQueryIs400(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	ann := e.agent(t, "Ann")
	for q, msg := range map[string]string{
		"after=-1":   "after must be an event id (a non-negative integer)",
		"after=x":    "after must be an event id (a non-negative integer)",
		"limit=0":    "limit must be an integer from 1 to 1000",
		"limit=1001": "limit must be an integer from 1 to 1000",
	} {
		wantStatus(t, e.req(t, "GET", "/events?"+q, ann.token, nil), http.StatusBadRequest, msg)
	}
	wantStatus(t, e.req(t, "GET", "/events", "", nil), http.StatusUnauthorized, "")
}
