package memory

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/supportd/supportd/store"
)

// idempotency remembers what each (caller, key) created. Keys of CreateTicket and
// AddThread share one space per caller: a key reused on another request is a mismatch.
type idempotency struct {
	entries map[idemKey]idemEntry
	// queue holds keys oldest first, so expired entries go without a scan.
	queue []idemQueued
}

type idemKey struct {
	caller store.ID
	key    string
}

type idemEntry struct {
	hash string
	body []byte
	at   time.Time
}

type idemQueued struct {
	key idemKey
	at  time.Time
}

func newIdempotency() idempotency {
	return idempotency{entries: map[idemKey]idemEntry{}}
}

// check returns a replay or store.ErrIdempotencyMismatch when the caller used the
// key within store.IdempotencyWindow, neither when the request may go ahead.
func (m *idempotency) check(caller store.ID, idem *store.Idempotency, now time.Time) (*store.Replay, error) {
	m.expire(now)
	if idem == nil {
		return nil, nil
	}
	e, ok := m.entries[idemKey{caller, idem.Key}]
	switch {
	case !ok:
		return nil, nil
	case e.hash != idem.Hash:
		return nil, store.ErrIdempotencyMismatch
	}
	return &store.Replay{Body: bytes.Clone(e.body)}, nil
}

// remember keeps what a successful request answered. Only successes are remembered,
// so a failed request can be retried with the same key.
func (m *idempotency) remember(caller store.ID, idem *store.Idempotency, answer any, now time.Time) {
	if idem == nil {
		return
	}
	// A ticket or thread of the store's own types always marshals.
	body, _ := json.Marshal(answer)
	k := idemKey{caller, idem.Key}
	m.entries[k] = idemEntry{hash: idem.Hash, body: body, at: now}
	m.queue = append(m.queue, idemQueued{key: k, at: now})
}

// expire forgets the keys older than store.IdempotencyWindow.
func (m *idempotency) expire(now time.Time) {
	n := 0
	for n < len(m.queue) && now.Sub(m.queue[n].at) >= store.IdempotencyWindow {
		q := m.queue[n]
		// The key may have been used again since; only its old use expires.
		if e, ok := m.entries[q.key]; ok && e.at.Equal(q.at) {
			delete(m.entries, q.key)
		}
		n++
	}
	if n > 0 {
		m.queue = append([]idemQueued(nil), m.queue[n:]...)
	}
}
