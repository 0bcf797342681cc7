package api

import (
	"net/url"
	"testing"

	"github.com/supportd/supportd/store"
)

// checkBadRequest fails unless err is nil or a 400 of the contract's shape: a
// decoder must never panic nor let anything else through.
func checkBadRequest(t *testing.T, err error) {
	if err == nil {
		return
	}
	e, ok := asError(err)
	if !ok || e.Code != store.CodeBadRequest || e.Message == "" {
		t.Fatalf("got %v, want a BadRequest", err)
	}
}

func FuzzDecodeInsert(f *testing.F) {
	for _, seed := range []string{
		`{"title":"a","category":"billing","threads":[{"message":"m"}]}`,
		`{"title":"a","category":"billing","threads":[{"message":"m","attachments":["aaaaaaaaaaaaaaaaaaaaaaaa"]}],"subject":"s","api":"x","client":"aaaaaaaaaaaaaaaaaaaaaaaa"}`,
		`{"title":null}`, `[]`, `null`, `{"threads":[1,2]}`, `{"title":"\u0000"}`, `{} {}`, `{"title":"a"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseObject(body)
		checkBadRequest(t, err)
		if err != nil {
			return
		}
		c := store.Caller{Role: store.RoleClient}
		if len(body)%2 == 0 {
			c.Role = store.RoleSuperAdmin
		}
		in, err := parseInsert(o, c)
		checkBadRequest(t, err)
		if err == nil && (in.Title == "" || len(in.Threads) == 0 || len(in.Threads) > maxThreads) {
			t.Fatalf("accepted an invalid insert: %+v", in)
		}
	})
}

func FuzzDecodeUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"title":"a"}`, `{"status":"resolved","assignee":null}`, `{"issueUrl":"https://x.test"}`, `{}`, `{"subject":5}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseObject(body)
		if err != nil {
			return
		}
		u, err := parseUpdate(o)
		checkBadRequest(t, err)
		if err == nil && u.Empty() {
			t.Fatal("accepted an empty update")
		}
	})
}

func FuzzDecodeIDs(f *testing.F) {
	for _, seed := range []string{`{"ids":["aaaaaaaaaaaaaaaaaaaaaaaa"]}`, `{"ids":[]}`, `{"ids":"x"}`, `{"threadIds":[null]}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseObject(body)
		if err != nil {
			return
		}
		list, err := store.ParseIDList(o["ids"], "ids", store.MaxIDs, true)
		checkBadRequest(t, err)
		for _, id := range list {
			if _, err := store.ParseID(string(id)); err != nil {
				t.Fatalf("accepted a malformed id %q", id)
			}
		}
	})
}

func FuzzDecodeListQuery(f *testing.F) {
	for _, seed := range []string{"page=2&limit=5&status=pending&sort=-number&countByStatus=1&q=a+b", "limit=-1", "client=x", "q=%00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := parseList(q, store.Caller{Role: store.RoleSuperAdmin})
		checkBadRequest(t, err)
		if err == nil && (fl.Page < 1 || fl.Limit < 1 || fl.Limit > maxLimit) {
			t.Fatalf("accepted page %d limit %d", fl.Page, fl.Limit)
		}
	})
}
