package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/supportd/supportd/store"
)

// maxLimit caps a page whatever the caller asks: the contract allows 1..100.
const maxLimit = 100

// ListTickets returns one page of the tickets c may see, without threads, with their
// ThreadsTotal and Unread for c, the total that match, and the counts by status when
// f.Counts is set.
//
// When the filters are only scope, category and status, the total and the counts come
// from the counts tables (a few rows) instead of counting tickets; with an assignee or
// words they come from one GROUP BY over the matching tickets.
func (db *DB) ListTickets(ctx context.Context, c store.Caller, f store.ListFilter) (store.TicketPage, error) {
	return retryRead(ctx, func() (store.TicketPage, error) { return db.listTickets(ctx, c, f) })
}

func (db *DB) listTickets(ctx context.Context, c store.Caller, f store.ListFilter) (store.TicketPage, error) {
	limit := min(max(f.Limit, 1), maxLimit)
	// A page past any table is empty, but (page-1)*limit must not overflow into a
	// negative OFFSET, which PostgreSQL refuses: capped so, the offset is at most
	// MaxInt32 (still past any table) even where int has 32 bits.
	page := min(max(f.Page, 1), math.MaxInt32/maxLimit)
	var q listQuery
	q.filter(c, f)

	var b pgx.Batch
	var tickets []store.Ticket
	b.Queue(q.pageSQL(f, limit, (page-1)*limit), q.pageArgs(f)...).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		for rows.Next() {
			t, err := scanTicket(rows, c)
			if err != nil {
				return wrap("list tickets", err)
			}
			tickets = append(tickets, t)
		}
		return wrap("list tickets", rows.Err())
	})
	var counts store.Counts
	sql, args := q.countsSQL(c, f)
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error { return addCounts(rows, &counts) })
	// One round trip for the page and the counts.
	if err := db.sendList(ctx, &b, len(q.words) > 0); err != nil {
		return store.TicketPage{}, err
	}

	out := store.TicketPage{Tickets: tickets, Total: counts.All}
	if f.Status != nil {
		out.Total = counts.Of(*f.Status)
	}
	if f.Counts {
		out.Counts = &counts
	}
	if len(tickets) == 0 {
		out.Tickets = []store.Ticket{}
		return out, nil
	}
	// Threads are the api's to load, a few tickets at a time (LatestThreads); their
	// totals are a few index entries per ticket.
	ids := make([]store.ID, len(tickets))
	for i, t := range tickets {
		ids[i] = t.ID
	}
	totals := make(map[store.ID]int, len(ids))
	b = pgx.Batch{}
	queueThreadsTotal(&b, c, ids, totals)
	if err := sendBatch(ctx, db.pool, &b, "list tickets"); err != nil {
		return store.TicketPage{}, err
	}
	for i := range tickets {
		total := totals[tickets[i].ID]
		tickets[i].ThreadsTotal = &total
	}
	return out, nil
}

// listQuery is the WHERE clause of a list, over every filter but the status, which
// the page adds and the counts leave out.
type listQuery struct {
	where  []string
	args   []any
	client *store.ID // the one client in scope, if any
	words  []string  // the search's words, if any
	simple bool      // only scope and category: the counts tables can answer
}

func (q *listQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *listQuery) filter(c store.Caller, f store.ListFilter) {
	q.simple = true
	switch {
	case c.Role != store.RoleSuperAdmin:
		q.client = &c.ID // a client's scope is its own, whatever it asks
	case f.Client != nil:
		q.client = f.Client
	}
	if q.client != nil {
		q.where = append(q.where, "t.client_id = "+q.arg(*q.client))
	}
	if f.Category != nil {
		q.where = append(q.where, "t.category = "+q.arg(*f.Category))
	}
	if c.Role == store.RoleSuperAdmin && f.Assignee != nil {
		q.simple = false
		q.where = append(q.where, "t.assignee_id = "+q.arg(*f.Assignee))
	}
	if q.words = searchWords(f.Words); len(q.words) > 0 {
		q.simple = false
		q.where = append(q.where, q.search(q.words)...)
	}
}

// minIndexedWord is the shortest word the trigram indexes can find: shorter words have
// no trigram, so they only filter the tickets a longer word found.
const minIndexedWord = 3

// search is the condition that every word occurs in the ticket's title, subject or a
// thread message. The longest word (the rarest, as a rule) finds the candidates
// through the trigram indexes, and the other words are tested on those candidates
// only: a word under three characters cannot use the index, and looking up a common
// word everywhere would fetch most tickets to no purpose.
//
// The other words are tested longest first and a ticket stops at the first word it
// lacks; short words are found within a few characters, so a candidate's text is read
// about once, however many words there are.
func (q *listQuery) search(words []string) []string {
	slices.SortStableFunc(words, func(a, b string) int {
		return utf8.RuneCountInString(b) - utf8.RuneCountInString(a)
	})
	var conds []string
	if utf8.RuneCountInString(words[0]) >= minIndexedWord {
		conds = append(conds, q.found(words[0]))
		words = words[1:]
	}
	for _, w := range words {
		conds = append(conds, fmt.Sprintf(`(t.title ILIKE %[1]s OR t.subject ILIKE %[1]s
			OR EXISTS (SELECT 1 FROM threads th WHERE th.ticket_id = t.id AND th.message ILIKE %[1]s))`, q.like(w)))
	}
	return conds
}

// found is the condition that w occurs in the ticket, as the ids of the tickets in
// scope that the trigram indexes find. As an array (an InitPlan) rather than IN
// (subquery), the matches are always fetched through tickets_pkey: with IN, a poor
// estimate of how many tickets match could make the planner hash-join them against a
// scan of all tickets. In one client's scope the planner chooses, by the word's
// estimated frequency, between the trigram index on every thread and reading the
// client's own threads, so a rare word costs a rare word's lookup however much text
// the client has.
func (q *listQuery) found(w string) string {
	p := q.like(w)
	if q.client == nil {
		return fmt.Sprintf(`t.id = ANY (ARRAY(
			SELECT id FROM tickets WHERE title ILIKE %[1]s OR subject ILIKE %[1]s
			UNION SELECT ticket_id FROM threads WHERE message ILIKE %[1]s))`, p)
	}
	return fmt.Sprintf(`t.id = ANY (ARRAY(
		SELECT id FROM tickets WHERE client_id = %[2]s AND (title ILIKE %[1]s OR subject ILIKE %[1]s)
		UNION SELECT th.ticket_id FROM threads th JOIN tickets ct ON ct.id = th.ticket_id
		 WHERE ct.client_id = %[2]s AND th.message ILIKE %[1]s))`, p, q.arg(*q.client))
}

// like is the argument of an ILIKE pattern that finds w anywhere.
func (q *listQuery) like(w string) string { return q.arg("%" + escapeLike(w) + "%") }

// searchWords are the words of a search in lower case, empty ones and repeats left out.
func searchWords(words []string) []string {
	var out []string
	for _, w := range words {
		if w = strings.ToLower(w); w != "" && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// whereSQL joins conditions, with extra ones after q's.
func whereSQL(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// pageArgs are q's arguments plus the status of the page, if any.
func (q *listQuery) pageArgs(f store.ListFilter) []any {
	args := append([]any(nil), q.args...)
	if f.Status != nil {
		args = append(args, *f.Status)
	}
	return args
}

func (q *listQuery) pageSQL(f store.ListFilter, limit, offset int) string {
	conds := append([]string(nil), q.where...)
	if f.Status != nil {
		conds = append(conds, fmt.Sprintf("t.status = $%d", len(q.args)+1))
	}
	return `SELECT ` + ticketColumns + ` FROM ` + ticketFrom + whereSQL(conds) +
		orderBy(f.Sort) + fmt.Sprintf(" LIMIT %d OFFSET %d", limit, offset)
}

// orderBy sorts by the field asked, then by id so that pages never overlap. number is
// unique and needs no tiebreaker.
func orderBy(s store.Sort) string {
	dir := " ASC"
	if s.Desc {
		dir = " DESC"
	}
	switch s.Field {
	case "number":
		return " ORDER BY t.number" + dir
	case "updatedAt":
		return " ORDER BY t.updated_at" + dir + ", t.id" + dir
	case "createdAt":
		return " ORDER BY t.created_at" + dir + ", t.id" + dir
	}
	return orderBy(store.DefaultSort)
}

// countsSQL counts by status over every filter but the status.
func (q *listQuery) countsSQL(c store.Caller, f store.ListFilter) (string, []any) {
	if !q.simple {
		return `SELECT t.status, count(*) FROM tickets t` + whereSQL(q.where) + ` GROUP BY t.status`, q.args
	}
	var cat *string
	if f.Category != nil {
		s := string(*f.Category)
		cat = &s
	}
	if q.client != nil {
		return `SELECT status, sum(n)::bigint FROM ticket_counts
			 WHERE client_id = $1 AND ($2::text IS NULL OR category = $2) GROUP BY status`,
			[]any{*q.client, cat}
	}
	return globalCountsSQL, []any{cat}
}

// escapeLike makes w match itself in an ILIKE pattern (backslash is the escape).
func escapeLike(w string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(w)
}
