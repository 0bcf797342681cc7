package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"

	"github.com/supportd/supportd/store"
)

const (
	// maxWebhookURL bounds a webhook's url (characters).
	maxWebhookURL = 2000
	// maxWebhookEvents bounds the events list of a webhook (the recorded types, each
	// named once, fit with room for duplicates).
	maxWebhookEvents = 20
	// defaultDeliveries and maxDeliveries are GET /webhooks/{id}/deliveries' limit.
	defaultDeliveries = 20
	maxDeliveries     = store.MaxDeliveries
	// webhookSecretBytes is the length of a secret's random part.
	webhookSecretBytes = 32
)

// webhookTypes are the event types a webhook may choose; every one but counts is its
// default.
var webhookTypes = []store.EventType{store.EventTicketCreated, store.EventTicketUpdated, store.EventTicketStatus,
	store.EventTicketDeleted, store.EventThreadAdded, store.EventThreadsSeen, store.EventCounts}

// webhooks is the store's integrations part; both stores have one.
func (s *Server) webhooks() (store.Webhooks, error) {
	if s.hooks == nil {
		return nil, store.Errorf(store.CodeServiceUnavailable, "Webhooks are not available with this store")
	}
	return s.hooks, nil
}

// agentOnly is the answer to clients on every webhook route: webhooks are not theirs
// to see, so there is nothing to hide behind a 404.
func agentOnly(r *http.Request) error {
	if !caller(r).IsSuperAdmin() {
		return store.Errorf(store.CodeForbidden, "Only support agents may manage webhooks")
	}
	return nil
}

func webhookNotFound() *store.Error { return store.Errorf(store.CodeNotFound, "Webhook not found") }

func webhookID(r *http.Request) (store.ID, error) {
	id, err := pathID(r)
	if err != nil {
		return "", webhookNotFound()
	}
	return id, nil
}

func mapWebhookErr(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return webhookNotFound()
	}
	return err
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := agentOnly(r); err != nil {
		return err
	}
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	in, err := parseWebhook(o, s.privateAddr)
	if err != nil {
		return err
	}
	wh, err := s.webhooks()
	if err != nil {
		return err
	}
	if in.Secret, err = newWebhookSecret(); err != nil {
		return err
	}
	created, err := wh.CreateWebhook(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, dataResponse{Data: created})
	return nil
}

// parseWebhook reads {url, events?}; private, when set, names the addresses url
// must not point to (see privateHost).
func parseWebhook(o object, private func(netip.Addr) bool) (store.Webhook, error) {
	u, err := o.text("url", maxWebhookURL, true)
	if err != nil {
		return store.Webhook{}, err
	}
	p, err := url.Parse(*u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return store.Webhook{}, badRequest("url must be an http or https URL")
	}
	if privateHost(p, private) {
		return store.Webhook{}, badRequest("url must not point to a private or loopback address (WEBHOOK_PRIVATE=deny)")
	}
	types := slices.DeleteFunc(slices.Clone(webhookTypes), func(t store.EventType) bool { return t == store.EventCounts })
	if !o.null("events") {
		items, err := o.list("events", maxWebhookEvents, true)
		if err != nil {
			return store.Webhook{}, err
		}
		types = nil
		for i, raw := range items {
			t, err := oneOf(object{"v": raw}, "v", webhookTypes, true)
			if err != nil {
				return store.Webhook{}, badRequest("events[%d] must be one of %s", i, joinValues(webhookTypes))
			}
			if !slices.Contains(types, *t) {
				types = append(types, *t)
			}
		}
	}
	return store.Webhook{URL: *u, Events: types}, nil
}

// newWebhookSecret is whsec_ and the base64 of 32 random bytes (Standard Webhooks).
func newWebhookSecret() (string, error) {
	b := make([]byte, webhookSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	if err := agentOnly(r); err != nil {
		return err
	}
	wh, err := s.webhooks()
	if err != nil {
		return err
	}
	list, err := wh.ListWebhooks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataResponse{Data: list})
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := agentOnly(r); err != nil {
		return err
	}
	wh, err := s.webhooks()
	if err != nil {
		return err
	}
	if err := wh.DeleteWebhook(r.Context(), id); err != nil {
		return mapWebhookErr(err)
	}
	writeJSON(w, http.StatusOK, done())
	return nil
}

// delivery is an attempt on the wire.
type delivery struct {
	EventID    string     `json:"eventId"`
	Attempt    int        `json:"attempt"`
	Status     int        `json:"status"`
	Error      *string    `json:"error"`
	DurationMs int64      `json:"durationMs"`
	At         store.Time `json:"at"`
}

func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := agentOnly(r); err != nil {
		return err
	}
	limit, err := queryLimit(r, defaultDeliveries, maxDeliveries)
	if err != nil {
		return err
	}
	wh, err := s.webhooks()
	if err != nil {
		return err
	}
	ds, err := wh.Deliveries(r.Context(), id, limit)
	if err != nil {
		return mapWebhookErr(err)
	}
	out := make([]delivery, len(ds))
	for i, d := range ds {
		out[i] = delivery{EventID: strconv.FormatInt(d.EventID, 10), Attempt: d.Attempt, Status: d.Status, DurationMs: d.DurationMs, At: d.At}
		if d.Error != "" {
			out[i].Error = &d.Error
		}
	}
	writeJSON(w, http.StatusOK, dataResponse{Data: out})
	return nil
}

// queryLimit reads ?limit=1..max.
func queryLimit(r *http.Request, def, max int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, badRequest("limit must be an integer from 1 to %d", max)
	}
	return n, nil
}

func (s *Server) replayWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := agentOnly(r); err != nil {
		return err
	}
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	from, err := eventID(o["fromEventId"], "fromEventId")
	if err != nil {
		return err
	}
	wh, err := s.webhooks()
	if err != nil {
		return err
	}
	if err := s.checkKept(r, wh, from); err != nil {
		return err
	}
	if err := wh.ReplayWebhook(r.Context(), id, from); err != nil {
		return mapWebhookErr(err)
	}
	writeJSON(w, http.StatusAccepted, completed{Status: "accepted"})
	return nil
}

// eventID reads an event id given as a decimal string (as events carry them) or a
// number.
func eventID(raw json.RawMessage, name string) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, badRequest("%s is required", name)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%s must be an event id (a non-negative integer)", name)
	}
	return n, nil
}

// checkKept answers 410 Gone when events after `after` were pruned from the log: a
// replay or a feed from there would miss them.
func (s *Server) checkKept(r *http.Request, wh store.Webhooks, after int64) error {
	oldest, err := wh.OldestEventID(r.Context())
	if err != nil {
		return err
	}
	if after+1 < oldest {
		return store.Errorf(store.CodeGone, "Events after %d are no longer kept: the oldest kept is %d", after, oldest)
	}
	return nil
}
