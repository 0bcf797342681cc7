package api

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

func TestUnavailableStoreAnswers503WithRetryAfter(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewTextHandler(&logs, nil))
	// However deep the store wrapped it, and whether or not a service mapped it.
	for _, err := range []error{
		fmt.Errorf("postgres: ticket: %w", store.ErrUnavailable),
		mapStoreErr(fmt.Errorf("postgres: write: %w", store.ErrUnavailable)),
	} {
		w := httptest.NewRecorder()
		writeError(w, httptest.NewRequest("GET", "/support-tickets", nil), log, err)
		body, _ := io.ReadAll(w.Body)
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(string(body), `"code":"ServiceUnavailable"`) {
			t.Fatalf("%v: got %d %s, want 503 ServiceUnavailable", err, w.Code, body)
		}
		if got := w.Header().Get("Retry-After"); got != retryAfterUnavailable {
			t.Fatalf("%v: Retry-After %q, want %q", err, got, retryAfterUnavailable)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("an unavailable database was logged as a failed request:\n%s", logs.String())
	}
}
