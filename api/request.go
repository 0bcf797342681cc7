package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/supportd/supportd/store"
)

// The contract's limits (its "Decisions" section); each is tested.
const (
	maxTitleLen    = 200
	maxSubjectLen  = 200
	maxAPILen      = 100
	maxMessageLen  = 10_000
	maxThreads     = 100
	maxAttachments = 20
	maxIDs         = 1000
	maxIssueURLLen = 2048
	maxLimit       = 100
	defaultLimit   = 10
	maxQueryLen    = 200
	maxQueryWords  = 10
	// minSearchWordLen is the shortest word a search can look up through its index
	// (trigrams): q needs one such word, and shorter ones only filter what it found.
	minSearchWordLen  = 3
	maxIdempotencyKey = 255
)

// insertRequest is POST /support-tickets/insert before the caller's role is applied.
type insertRequest struct {
	ticket store.NewTicket
	client *store.ID // named by a super admin; ignored for clients
}

// parseInsert reads an insert; the client field is read for super admins only (a
// client's ticket is always its own, whatever it sends).
func parseInsert(o object, superAdmin bool) (insertRequest, error) {
	var in insertRequest
	title, err := o.text("title", maxTitleLen, true)
	if err != nil {
		return in, err
	}
	category, err := oneOf(o, "category", store.Categories, true)
	if err != nil {
		return in, err
	}
	items, err := o.list("threads", maxThreads, true)
	if err != nil {
		return in, err
	}
	threads := make([]store.NewThreadBody, 0, len(items))
	for i, item := range items {
		name := "threads[" + strconv.Itoa(i) + "]"
		to, err := asObject(item, name)
		if err != nil {
			return in, err
		}
		th, err := parseThreadBody(to, name+".")
		if err != nil {
			return in, err
		}
		threads = append(threads, th)
	}
	subject, err := o.text("subject", maxSubjectLen, false)
	if err != nil {
		return in, err
	}
	api, err := o.text("api", maxAPILen, false)
	if err != nil {
		return in, err
	}
	if superAdmin {
		if in.client, err = o.id("client", true); err != nil {
			return in, err
		}
	}
	in.ticket = store.NewTicket{Title: *title, Category: *category, Threads: threads, Subject: subject, API: api}
	return in, nil
}

// parseThreadBody reads {message, attachments?}; prefix names the fields in messages.
func parseThreadBody(o object, prefix string) (store.NewThreadBody, error) {
	msg, err := o.text("message", maxMessageLen, true)
	if err != nil {
		return store.NewThreadBody{}, renamed(err, prefix)
	}
	att, err := ids(o["attachments"], prefix+"attachments", maxAttachments, false)
	if err != nil {
		return store.NewThreadBody{}, err
	}
	if att == nil {
		att = []store.ID{}
	}
	return store.NewThreadBody{Message: *msg, Attachments: att}, nil
}

// renamed prefixes the field name of a validation message (threads[2].message …).
func renamed(err error, prefix string) error {
	if e, ok := AsError(err); ok && prefix != "" {
		return &Error{Code: e.Code, Message: prefix + e.Message}
	}
	return err
}

func parseUpdate(o object) (store.TicketUpdate, error) {
	var u store.TicketUpdate
	var err error
	if o.given("title") {
		if u.Title, err = o.text("title", maxTitleLen, true); err != nil {
			return u, err
		}
	}
	if o.given("category") {
		if u.Category, err = oneOf(o, "category", store.Categories, true); err != nil {
			return u, err
		}
	}
	if o.given("status") {
		if u.Status, err = oneOf(o, "status", store.Statuses, true); err != nil {
			return u, err
		}
	}
	if o.given("subject") {
		u.Subject.Set = true
		if u.Subject.Value, err = o.text("subject", maxSubjectLen, false); err != nil {
			return u, err
		}
	}
	if o.given("api") {
		u.API.Set = true
		if u.API.Value, err = o.text("api", maxAPILen, false); err != nil {
			return u, err
		}
	}
	if o.given("assignee") {
		u.Assignee.Set = true
		if u.Assignee.Value, err = o.id("assignee", false); err != nil {
			return u, err
		}
	}
	if o.given("issueUrl") {
		u.IssueURL.Set = true
		if u.IssueURL.Value, err = parseIssueURL(o); err != nil {
			return u, err
		}
	}
	if u.Empty() {
		return u, badRequest("nothing to update")
	}
	return u, nil
}

func parseIssueURL(o object) (*string, error) {
	s, err := o.text("issueUrl", maxIssueURLLen, false)
	if s == nil || err != nil {
		return nil, err
	}
	u, err := url.Parse(*s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, badRequest("issueUrl must be an http or https URL")
	}
	return s, nil
}

// parseList reads the query of GET /support-tickets. Client and assignee filters are
// read for super admins only: a client's scope is always its own tickets.
func parseList(q url.Values, c store.Caller) (store.ListFilter, error) {
	f := store.ListFilter{Page: 1, Limit: defaultLimit, Sort: store.DefaultSort}
	var err error
	if v := q.Get("page"); v != "" {
		if f.Page, err = strconv.Atoi(v); err != nil || f.Page < 1 {
			return f, badRequest("page must be an integer of at least 1")
		}
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > maxLimit {
			return f, badRequest("limit must be an integer from 1 to %d", maxLimit)
		}
	}
	if v := q.Get("status"); v != "" {
		s, err := store.ParseStatus(v)
		if err != nil {
			return f, badRequest("status must be one of %s", joinValues(store.Statuses))
		}
		f.Status = &s
	}
	if v := q.Get("category"); v != "" {
		cat, err := store.ParseCategory(v)
		if err != nil {
			return f, badRequest("category must be one of %s", joinValues(store.Categories))
		}
		f.Category = &cat
	}
	if v := q.Get("sort"); v != "" {
		// "±number" is the contract's; a literal + in a query string arrives as a space.
		if strings.HasPrefix(v, " ") {
			v = "+" + v[1:]
		}
		if f.Sort, err = store.ParseSort(v); err != nil {
			return f, badRequest("sort must be one of -createdAt, createdAt, -updatedAt, updatedAt, -number, number")
		}
	}
	switch q.Get("countByStatus") {
	case "", "false", "0":
	case "true", "1":
		f.Counts = true
	default:
		return f, badRequest("countByStatus must be one of true, false, 1, 0")
	}
	if f.Words, err = parseWords(q.Get("q")); err != nil {
		return f, err
	}
	if c.IsSuperAdmin() {
		for name, dst := range map[string]**store.ID{"client": &f.Client, "assignee": &f.Assignee} {
			if v := q.Get(name); v != "" {
				id, err := store.ParseID(v)
				if err != nil {
					return f, badRequest("%s must be an id", name)
				}
				*dst = &id
			}
		}
	}
	return f, nil
}

func parseWords(q string) ([]string, error) {
	if utf8.RuneCountInString(q) > maxQueryLen {
		return nil, badRequest("q must be at most %d characters", maxQueryLen)
	}
	if strings.ContainsRune(q, 0) {
		return nil, badRequest("q must not contain NUL characters")
	}
	words := strings.Fields(q)
	if len(words) > maxQueryWords {
		return nil, badRequest("q must have at most %d words", maxQueryWords)
	}
	if len(words) > 0 && !slices.ContainsFunc(words, indexable) {
		return nil, badRequest("q must have at least one word of %d or more characters", minSearchWordLen)
	}
	return words, nil
}

func indexable(w string) bool { return utf8.RuneCountInString(w) >= minSearchWordLen }

// searchTooSlow answers a search that ran into the store's deadline (2 s), saying how
// to narrow it.
const searchTooSlow = "q matches too much to search in time: use longer or rarer words, or filter by status, category or client"
