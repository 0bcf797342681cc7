package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

type webhookOut struct {
	ID        store.ID `json:"_id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	Secret    *string  `json:"secret"`
	CreatedAt string   `json:"createdAt"`
}

func (e *env) createWebhook(t *testing.T, u user, body any) webhookOut {
	t.Helper()
	r := e.req(t, "POST", "/webhooks", u.token, body)
	wantStatus(t, r, http.StatusCreated, "")
	var out struct{ Data webhookOut }
	r.decode(t, &out)
	return out.Data
}

func TestWebhookCreateListDelete(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ann := e.agent(t, "Ann")
		w := e.createWebhook(t, ann, map[string]any{"url": "https://example.com/hook"})
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(*w.Secret, "whsec_"))
		if !strings.HasPrefix(*w.Secret, "whsec_") || err != nil || len(key) != 32 {
			t.Fatalf("secret %q: want whsec_ and the base64 of 32 bytes", *w.Secret)
		}
		wantTypes := []string{"ticket.created", "ticket.updated", "ticket.status", "ticket.deleted", "thread.added", "threads.seen"}
		if !slices.Equal(w.Events, wantTypes) || w.URL != "https://example.com/hook" || w.CreatedAt == "" {
			t.Fatalf("created %+v: want every type but counts by default", w)
		}
		var list struct{ Data []webhookOut }
		r := e.req(t, "GET", "/webhooks", ann.token, nil)
		wantStatus(t, r, http.StatusOK, "")
		r.decode(t, &list)
		if len(list.Data) != 1 || list.Data[0].ID != w.ID || list.Data[0].Secret != nil {
			t.Fatalf("list %s: want the webhook without its secret", r.body)
		}
		r = e.req(t, "GET", "/webhooks/"+string(w.ID)+"/deliveries", ann.token, nil)
		wantStatus(t, r, http.StatusOK, "")
		if got := strings.TrimSpace(string(r.body)); got != `{"data":[]}` {
			t.Fatalf("deliveries of a new webhook: got %s, want an empty list", got)
		}
		wantStatus(t, e.req(t, "POST", "/webhooks/"+string(w.ID)+"/replay", ann.token, `{"fromEventId":"0"}`), http.StatusAccepted, "")
		wantStatus(t, e.req(t, "DELETE", "/webhooks/"+string(w.ID), ann.token, nil), http.StatusOK, "")
		wantStatus(t, e.req(t, "DELETE", "/webhooks/"+string(w.ID), ann.token, nil), http.StatusNotFound, "Webhook not found")
		wantStatus(t, e.req(t, "GET", "/webhooks/nope/deliveries", ann.token, nil), http.StatusNotFound, "Webhook not found")
		wantStatus(t, e.req(t, "POST", "/webhooks/"+string(w.ID)+"/replay", ann.token, `{"fromEventId":"0"}`), http.StatusNotFound, "Webhook not found")
	})
}

func TestWebhookBadInputIs400(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	ann := e.agent(t, "Ann")
	w := e.createWebhook(t, ann, map[string]any{"url": "http://example.com", "events": []string{"counts", "counts"}})
	if !slices.Equal(w.Events, []string{"counts"}) {
		t.Fatalf("events %v: want [counts], once", w.Events)
	}
	all := "ticket.created, ticket.updated, ticket.status, ticket.deleted, thread.added, threads.seen, counts"
	cases := []struct{ body, message string }{
		{`{}`, "url is required"},
		{`{"url":"ftp://example.com/x"}`, "url must be an http or https URL"},
		{`{"url":"example.com/x"}`, "url must be an http or https URL"},
		{`{"url":"https://example.com/` + strings.Repeat("x", 2000) + `"}`, "url must be at most 2000 characters"},
		{`{"url":"https://example.com","events":["ticket.created","nope"]}`, "events[1] must be one of " + all},
		{`{"url":"https://example.com","events":"counts"}`, "events must be an array"},
		{`{"url":"https://example.com","events":[]}`, "events is required"},
		{`{"url":`, "Malformed JSON"},
	}
	for _, c := range cases {
		wantStatus(t, e.req(t, "POST", "/webhooks", ann.token, c.body), http.StatusBadRequest, c.message)
	}
	path := "/webhooks/" + string(w.ID)
	for _, c := range []struct{ body, message string }{
		{`{}`, "fromEventId is required"},
		{`{"fromEventId":"-1"}`, "fromEventId must be an event id (a non-negative integer)"},
		{`{"fromEventId":"x"}`, "fromEventId must be an event id (a non-negative integer)"},
	} {
		wantStatus(t, e.req(t, "POST", path+"/replay", ann.token, c.body), http.StatusBadRequest, c.message)
	}
	for _, q := range []string{"0", "101", "x"} {
		wantStatus(t, e.req(t, "GET", path+"/deliveries?limit="+q, ann.token, nil), http.StatusBadRequest, "limit must be an integer from 1 to 100")
	}
}

func TestWebhookClientsAre403(t *testing.T) {
	e := newEnv(t, openers()["memory"](t))
	ann, acme := e.agent(t, "Ann"), e.client(t, "Acme")
	w := e.createWebhook(t, ann, map[string]any{"url": "https://example.com"})
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/webhooks", `{"url":"https://example.com"}`},
		{"GET", "/webhooks", ""},
		{"DELETE", "/webhooks/" + string(w.ID), ""},
		{"GET", "/webhooks/" + string(w.ID) + "/deliveries", ""},
		{"POST", "/webhooks/" + string(w.ID) + "/replay", `{"fromEventId":"0"}`},
	} {
		wantStatus(t, e.req(t, c.method, c.path, acme.token, c.body), http.StatusForbidden, "Only support agents may manage webhooks")
	}
}

// TestWebhookDeliversThroughTheAPI: a webhook made over REST gets the events of
// REST writes, signed with the secret REST showed; its attempts are listed, and a
// replay over REST sends them again.
func TestWebhookDeliversThroughTheAPI(t *testing.T) {
	e := newEnv(t, openers()["postgres"](t))
	ann, acme := e.agent(t, "Ann"), e.client(t, "Acme")
	var (
		mu  sync.Mutex
		got []string
		key []byte
	)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
		if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); r.Header.Get("webhook-signature") != want {
			t.Errorf("signature %q, want %q", r.Header.Get("webhook-signature"), want)
		}
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Header.Get("webhook-id"))
	}))
	defer rcv.Close()
	w := e.createWebhook(t, ann, map[string]any{"url": rcv.URL, "events": []string{"thread.added"}})
	key, _ = base64.StdEncoding.DecodeString(strings.TrimPrefix(*w.Secret, "whsec_"))
	tk := e.createTicket(t, acme, "hooked")
	e.reply(t, ann, tk.ID, "on it")
	var want []string
	for _, ev := range e.events(t) {
		if ev.Type == store.EventThreadAdded {
			want = append(want, strconv.FormatInt(ev.ID, 10))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	d := pubsub.NewDeliverer(e.st.(pubsub.WebhookStore), pubsub.WebhookConfig{Owner: "t", Renew: 50 * time.Millisecond, Poll: 20 * time.Millisecond},
		slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitUntil := func(n int) []string {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			g := slices.Clone(got)
			mu.Unlock()
			if len(g) >= n {
				return g
			}
		}
		t.Fatalf("the receiver got %v, want %d events", got, n)
		return nil
	}
	if g := waitUntil(2); !slices.Equal(g, want) {
		t.Fatalf("delivered %v, want %v", g, want)
	}
	var ds struct {
		Data []struct {
			EventID string  `json:"eventId"`
			Attempt int     `json:"attempt"`
			Status  int     `json:"status"`
			Error   *string `json:"error"`
		}
	}
	e.req(t, "GET", "/webhooks/"+string(w.ID)+"/deliveries?limit=1", ann.token, nil).decode(t, &ds)
	if len(ds.Data) != 1 || ds.Data[0].EventID != want[1] || ds.Data[0].Status != 200 || ds.Data[0].Attempt != 1 || ds.Data[0].Error != nil {
		t.Fatalf("deliveries: got %+v, want the 200 of event %s", ds.Data, want[1])
	}
	wantStatus(t, e.req(t, "POST", "/webhooks/"+string(w.ID)+"/replay", ann.token, map[string]any{"fromEventId": want[0]}), http.StatusAccepted, "")
	if g := waitUntil(3); g[2] != want[1] {
		t.Fatalf("after replay from %s: got %v, want %s again", want[0], g, want[1])
	}
}
