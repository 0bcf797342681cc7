package memory

import "github.com/supportd/supportd/store"

// The store hands out copies only: callers may change what they get, and readers
// must never share memory with a later writer (that would be a data race).

// view is t as c reads it: a deep copy with current names and c's unread count.
func (s *Store) view(t *store.Ticket, c store.Caller) store.Ticket {
	v := s.eventView(t)
	unread := store.UnreadFor(c, v.Threads)
	v.Unread = &unread
	return v
}

// eventView is t as events carry it: a deep copy with current names, no unread.
func (s *Store) eventView(t *store.Ticket) store.Ticket {
	v := cloneTicket(t)
	v.Client = s.named(v.Client)
	if v.Assignee != nil {
		*v.Assignee = s.named(*v.Assignee)
	}
	for i := range v.Threads {
		th := &v.Threads[i]
		th.Client = v.Client
		if th.SuperAdmin != nil {
			*th.SuperAdmin = s.named(*th.SuperAdmin)
		}
	}
	return v
}

func cloneTicket(t *store.Ticket) store.Ticket {
	c := *t
	c.Subject = clonePtr(t.Subject)
	c.API = clonePtr(t.API)
	c.IssueURL = clonePtr(t.IssueURL)
	c.Assignee = clonePtr(t.Assignee)
	c.Unread = nil
	c.Threads = make([]store.Thread, len(t.Threads))
	for i, th := range t.Threads {
		c.Threads[i] = cloneThread(th)
	}
	return c
}

func cloneThread(th store.Thread) store.Thread {
	th.SeenAt = clonePtr(th.SeenAt)
	th.SuperAdmin = clonePtr(th.SuperAdmin)
	th.Attachments = cloneIDs(th.Attachments)
	return th
}

// cloneIDs never returns nil: attachments are a list, never null, on the wire.
func cloneIDs(ids []store.ID) []store.ID {
	return append(make([]store.ID, 0, len(ids)), ids...)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
