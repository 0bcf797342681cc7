package hub

import (
	"context"
	"strconv"

	"github.com/supportd/supportd/store"
)

// replayWriteBytes bounds one write of a replay (see replay).
const replayWriteBytes = 64 << 10

// start writes hello, then reset when the resume is impossible, then presence, then
// the replay, and registers the socket for live events with no gap and no duplicate.
//
// hello announces the log's newest id, read after the socket arrived, so it is at
// least the id of every event of every write that answered before, on any
// instance (read-your-writes); events up to it are not sent (the socket's floor
// starts there, even when this hub's cursor is still behind it).
//
// A storm of reconnects must not bury the database, so a reconnect reads little of
// the log: the newest id is one read shared by every socket that arrived during
// the previous one (see pubsub.Coalescer); whether the resume point was pruned
// takes a one-row probe, read alongside it (startProbe), since ids are contiguous
// in the log; and the replay reads pages only while the socket is behind the
// cursor.
func (s *socket) start(ctx context.Context, lastEventID int64) error {
	var p *probe
	if lastEventID >= 0 {
		p = s.h.startProbe(ctx, lastEventID)
		defer p.wait()
	}
	last, err := s.h.newest.Do(ctx)
	if err != nil {
		return s.h.logReadErr(ctx, err)
	}
	newest := max(s.h.cursorNow(), last)
	hello := map[string]any{
		"role":        s.caller.Role,
		"user":        store.Person{ID: s.caller.ID, Name: s.caller.Name},
		"lastEventId": strconv.FormatInt(newest, 10),
	}
	if err := s.writeFrames(control("hello", hello)); err != nil {
		return err
	}
	reset := false
	switch {
	case lastEventID < 0: // not resuming
	case lastEventID > newest:
		reset = true // from the future
	default:
		var err error
		if reset, err = p.pruned(lastEventID); err != nil {
			return err
		}
	}
	if reset {
		if err := s.writeFrames(control("reset", struct{}{})); err != nil {
			return err
		}
		lastEventID = -1
	}
	if err := s.writeFrameParts(s.h.joinPresence(s)); err != nil {
		return err
	}
	if lastEventID < 0 {
		// Live from what hello announced: the hub's cursor may move on before the
		// socket registers (those events are read from the log).
		lastEventID = newest
	}
	return s.replay(ctx, lastEventID)
}

// replay writes the events in scope after `after` from the log until it reaches the
// hub's cursor, then registers: the check and the registration happen under the
// hub's lock, so no event can slip between the replay and the live stream.
//
// A client's read is scoped to its own tickets, so it says nothing of other ids: the
// cursor is read before each read, and a page that is not full covers every event in
// scope up to that cursor (those events were in the log before the read began).
func (s *socket) replay(ctx context.Context, after int64) error {
	for {
		if s.h.register(s, after) {
			return nil
		}
		cursor := s.h.cursorNow()
		evs, err := s.h.readScope(ctx, s.caller, after)
		if err != nil {
			return err
		}
		// The page goes out in writes of several frames (one writev each), each at
		// most replayWriteBytes unless one frame alone is larger. Each write has
		// writeTimeout: a replaying peer must take 64 KiB in 5 s (13 KB/s), where
		// one write per frame asked that of single frames only.
		var batch [][]byte
		size := 0
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := s.writeFrames(batch...); err != nil {
				return err
			}
			s.h.metrics.replayed.Add(float64(len(batch)))
			batch, size = batch[:0], 0
			return nil
		}
		for _, ev := range evs {
			if b := encodeEvent(ev).forCaller(s.caller); b != nil {
				if size > 0 && size+len(b) > replayWriteBytes {
					if err := flush(); err != nil {
						return err
					}
				}
				batch, size = append(batch, b), size+len(b)
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if len(evs) > 0 {
			after = evs[len(evs)-1].ID
		}
		if len(evs) < replayPage {
			after = max(after, cursor)
		}
	}
}
