package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// WebhookStore is a store with the integrations' data.
type WebhookStore interface {
	store.Store
	store.Webhooks
}

// RunWebhooks runs the conformance cases of store.Webhooks; open is as for Run.
func RunWebhooks(t *testing.T, open func(t *testing.T) WebhookStore) {
	cases := []struct {
		name string
		run  func(t *testing.T, s WebhookStore)
	}{
		{"CreateListDelete", webhookCreateListDelete},
		{"LeaseOneOwner", webhookLeaseOneOwner},
		{"RecordGuardsLeaseAndGeneration", webhookRecordGuards},
		{"DeliveriesKeepNewest", webhookDeliveriesKeepNewest},
		{"OldestEventID", webhookOldestEventID},
		{"GitHubLoopBack", webhookGitHub},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, open(t)) })
	}
}

func newHook(t *testing.T, s WebhookStore, url string) store.Webhook {
	t.Helper()
	w, err := s.CreateWebhook(t.Context(), store.Webhook{URL: url, Events: []store.EventType{store.EventThreadAdded},
		Secret: "whsec_c2VjcmV0"})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	checkID(t, "webhook id", w.ID)
	checkMillis(t, "webhook createdAt", w.CreatedAt)
	return w
}

func lease(t *testing.T, s WebhookStore, owner string, ttl time.Duration) []store.WebhookLease {
	t.Helper()
	ls, err := s.LeaseWebhooks(t.Context(), owner, ttl)
	if err != nil {
		t.Fatalf("LeaseWebhooks(%s): %v", owner, err)
	}
	return ls
}

func webhookCreateListDelete(t *testing.T, s WebhookStore) {
	f := setup(t, s)
	f.create(f.acme, "before", "hi")
	f.drain()
	w := newHook(t, s, "https://example.com/a")
	got, err := s.ListWebhooks(t.Context())
	if err != nil || len(got) != 1 || got[0].ID != w.ID || got[0].URL != w.URL || got[0].Secret != "" ||
		len(got[0].Events) != 1 || !got[0].CreatedAt.Equal(w.CreatedAt.Time) {
		t.Fatalf("ListWebhooks: got %+v, %v; want %s without secret", got, err, w.ID)
	}
	ls := lease(t, s, "a", time.Minute)
	if len(ls) != 1 || ls[0].Secret != w.Secret || ls[0].Position != f.lastEventID() {
		t.Fatalf("lease: got %+v, want secret and position %d (the newest event at creation)", ls, f.lastEventID())
	}
	if err := s.DeleteWebhook(t.Context(), w.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if err := s.DeleteWebhook(t.Context(), w.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteWebhook: got %v, want ErrNotFound", err)
	}
	if _, err := s.Deliveries(t.Context(), w.ID, 10); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Deliveries of a deleted webhook: got %v, want ErrNotFound", err)
	}
	if err := s.ReplayWebhook(t.Context(), w.ID, 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ReplayWebhook of a deleted webhook: got %v, want ErrNotFound", err)
	}
}

func webhookLeaseOneOwner(t *testing.T, s WebhookStore) {
	newHook(t, s, "https://example.com/a")
	if n := len(lease(t, s, "a", time.Minute)); n != 1 {
		t.Fatalf("a leased %d, want 1", n)
	}
	if n := len(lease(t, s, "b", time.Minute)); n != 0 {
		t.Fatalf("b leased %d while a holds it, want 0", n)
	}
	if n := len(lease(t, s, "a", 10*time.Millisecond)); n != 1 {
		t.Fatalf("a renewed %d, want 1", n)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(lease(t, s, "b", time.Minute)); n != 1 {
		t.Fatalf("b leased %d after a's lease expired, want 1", n)
	}
	if err := s.ReleaseWebhooks(t.Context(), "b"); err != nil {
		t.Fatalf("ReleaseWebhooks: %v", err)
	}
	if n := len(lease(t, s, "a", time.Minute)); n != 1 {
		t.Fatalf("a leased %d after b released, want 1", n)
	}
}

func webhookRecordGuards(t *testing.T, s WebhookStore) {
	w := newHook(t, s, "https://example.com/a")
	l := lease(t, s, "a", time.Minute)[0]
	ds := []store.Delivery{{EventID: l.Position + 5, Attempt: 1, Status: 200, DurationMs: 3, At: store.At(time.Now())}}
	if err := s.RecordDeliveries(t.Context(), l, "a", ds, l.Position+5); err != nil {
		t.Fatalf("RecordDeliveries: %v", err)
	}
	if err := s.RecordDeliveries(t.Context(), l, "b", ds, l.Position+6); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("RecordDeliveries by a non-holder: got %v, want ErrLeaseLost", err)
	}
	if err := s.ReplayWebhook(t.Context(), w.ID, 2); err != nil {
		t.Fatalf("ReplayWebhook: %v", err)
	}
	if err := s.RecordDeliveries(t.Context(), l, "a", nil, l.Position+6); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("RecordDeliveries after a replay: got %v, want ErrLeaseLost", err)
	}
	l2 := lease(t, s, "a", time.Minute)[0]
	if l2.Position != 2 || l2.Generation == l.Generation {
		t.Fatalf("after replay: position %d generation %d, want 2 and not %d", l2.Position, l2.Generation, l.Generation)
	}
	got, err := s.Deliveries(t.Context(), w.ID, 10)
	if err != nil || len(got) != 1 || got[0].EventID != l.Position+5 || got[0].Status != 200 || got[0].Attempt != 1 {
		t.Fatalf("Deliveries: got %+v, %v; want the one recorded attempt", got, err)
	}
}

func webhookDeliveriesKeepNewest(t *testing.T, s WebhookStore) {
	w := newHook(t, s, "https://example.com/a")
	l := lease(t, s, "a", time.Minute)[0]
	// One by one, then a batch: both keep the newest MaxDeliveries.
	for i := 1; i <= store.MaxDeliveries-10; i++ {
		d := []store.Delivery{{EventID: 7, Attempt: i, Status: 500, Error: "status 500", At: store.At(time.Now())}}
		if err := s.RecordDeliveries(t.Context(), l, "a", d, l.Position); err != nil {
			t.Fatalf("RecordDeliveries %d: %v", i, err)
		}
	}
	var batch []store.Delivery
	for i := store.MaxDeliveries - 9; i <= store.MaxDeliveries+5; i++ {
		batch = append(batch, store.Delivery{EventID: 7, Attempt: i, Status: 500, Error: "status 500", At: store.At(time.Now())})
	}
	if err := s.RecordDeliveries(t.Context(), l, "a", batch, l.Position); err != nil {
		t.Fatalf("RecordDeliveries(batch): %v", err)
	}
	got, err := s.Deliveries(t.Context(), w.ID, store.MaxDeliveries+10)
	if err != nil || len(got) != store.MaxDeliveries {
		t.Fatalf("Deliveries: got %d, %v; want %d", len(got), err, store.MaxDeliveries)
	}
	if got[0].Attempt != store.MaxDeliveries+5 || got[0].Error != "status 500" || got[0].EventID != 7 ||
		got[len(got)-1].Attempt != 6 {
		t.Fatalf("kept attempts %d..%d, want %d..6", got[0].Attempt, got[len(got)-1].Attempt, store.MaxDeliveries+5)
	}
	if l2 := lease(t, s, "a", time.Minute)[0]; l2.Position != l.Position {
		t.Fatalf("position %d, want %d", l2.Position, l.Position)
	}
}

func webhookOldestEventID(t *testing.T, s WebhookStore) {
	f := setup(t, s)
	oldest := func() int64 {
		t.Helper()
		id, err := s.OldestEventID(t.Context())
		if err != nil {
			t.Fatalf("OldestEventID: %v", err)
		}
		return id
	}
	if got := oldest(); got != 1 {
		t.Fatalf("empty log: got %d, want 1", got)
	}
	f.create(f.acme, "one", "hi")
	f.drain()
	if got := oldest(); got != 1 {
		t.Fatalf("after a write: got %d, want 1", got)
	}
	if _, err := s.PruneEvents(t.Context(), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("PruneEvents: %v", err)
	}
	if got, want := oldest(), f.lastEventID()+1; got != want {
		t.Fatalf("pruned log: got %d, want %d", got, want)
	}
}

func webhookGitHub(t *testing.T, s WebhookStore) {
	f := setup(t, s)
	tk := f.create(f.acme, "linked", "hi")
	url := "https://github.com/o/r/issues/7"
	f.update(f.ann, tk.ID, store.TicketUpdate{IssueURL: set(url)})
	if id, err := s.TicketByIssueURL(t.Context(), url); err != nil || id != tk.ID {
		t.Fatalf("TicketByIssueURL: got %s, %v; want %s", id, err, tk.ID)
	}
	if _, err := s.TicketByIssueURL(t.Context(), url+"0"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TicketByIssueURL(unknown): got %v, want ErrNotFound", err)
	}
	claim := func(want bool) {
		t.Helper()
		if got, err := s.ClaimGitHubDelivery(t.Context(), "d-1"); err != nil || got != want {
			t.Fatalf("ClaimGitHubDelivery: got %v, %v; want %v", got, err, want)
		}
	}
	claim(true)
	claim(false)
	if err := s.ReleaseGitHubDelivery(t.Context(), "d-1"); err != nil {
		t.Fatalf("ReleaseGitHubDelivery: %v", err)
	}
	claim(true)
}
