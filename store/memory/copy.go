package memory

import "github.com/supportd/supportd/store"

// The store hands out copies only: callers may change what they get, and readers
// must never share memory with a later writer (that would be a data race).

// view is t as c reads it alone: its latest store.TicketThreads threads.
func (s *Store) view(t *store.Ticket, c store.Caller) store.Ticket {
	return s.viewLatest(t, c, store.TicketThreads)
}

// viewLatest is t as c reads it: a deep copy with current names, its latest n threads
// (none, and Threads nil, for n = 0), ThreadsTotal, and c's unread count over them all.
func (s *Store) viewLatest(t *store.Ticket, c store.Caller, n int) store.Ticket {
	var threads []store.Thread
	if n > 0 {
		threads = latest(t.Threads, n)
	}
	v := s.copyWith(t, threads)
	unread, total := store.UnreadFor(c, t.Threads), len(t.Threads)
	v.Unread, v.ThreadsTotal = &unread, &total
	return v
}

// latest is the last n of threads (which are oldest first).
func latest(threads []store.Thread, n int) []store.Thread {
	return threads[max(0, len(threads)-n):]
}

// eventView is t as events carry it: a deep copy with current names and every thread,
// no unread.
func (s *Store) eventView(t *store.Ticket) store.Ticket {
	return s.copyWith(t, t.Threads)
}

// copyWith is a deep copy of t, with current names, carrying threads (t's own or a
// part of them; nil stays nil).
func (s *Store) copyWith(t *store.Ticket, threads []store.Thread) store.Ticket {
	v := cloneTicket(t, threads)
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

func cloneTicket(t *store.Ticket, threads []store.Thread) store.Ticket {
	c := *t
	c.Subject = store.ClonePtr(t.Subject)
	c.API = store.ClonePtr(t.API)
	c.IssueURL = store.ClonePtr(t.IssueURL)
	c.Assignee = store.ClonePtr(t.Assignee)
	c.Unread, c.ThreadsTotal, c.Threads = nil, nil, nil
	if threads != nil {
		c.Threads = make([]store.Thread, len(threads))
		for i, th := range threads {
			c.Threads[i] = cloneThread(th)
		}
	}
	return c
}

func cloneThread(th store.Thread) store.Thread {
	th.SeenAt = store.ClonePtr(th.SeenAt)
	th.SuperAdmin = store.ClonePtr(th.SuperAdmin)
	th.Attachments = cloneIDs(th.Attachments)
	return th
}

// cloneIDs never returns nil: attachments are a list, never null, on the wire.
func cloneIDs(ids []store.ID) []store.ID {
	return append(make([]store.ID, 0, len(ids)), ids...)
}
