package store_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

// TestParseIDListMessagesAndLimit: the one parse of REST's ids and threadIds and the
// socket's seen answers each bad list with the contract's BadRequest message, and
// takes up to store.MaxIDs ids.
func TestParseIDListMessagesAndLimit(t *testing.T) {
	id := `"aaaaaaaaaaaaaaaaaaaaaaaa"`
	full := "[" + strings.TrimSuffix(strings.Repeat(id+",", store.MaxIDs), ",") + "]"
	tests := map[string]string{
		``:                                  "threadIds is required",
		`null`:                              "threadIds is required",
		`[]`:                                "threadIds is required",
		`"abc"`:                             "threadIds must be an array",
		`[` + id + `, 42]`:                  "threadIds[1] must be an id",
		`["nope"]`:                          "threadIds[0] must be an id",
		full[:len(full)-1] + "," + id + "]": "threadIds must have at most 1000 items",
		full:                                "",
	}
	for raw, want := range tests {
		ids, err := store.ParseIDList(json.RawMessage(raw), "threadIds", store.MaxIDs, true)
		var e *store.Error
		switch {
		case want == "" && (err != nil || len(ids) != store.MaxIDs):
			t.Errorf("%.40s: got %d ids, %v, want %d ids", raw, len(ids), err, store.MaxIDs)
		case want != "" && (!errors.As(err, &e) || e.Code != store.CodeBadRequest || e.Message != want):
			t.Errorf("%.40s: got %v, want BadRequest %q", raw, err, want)
		}
	}
}
