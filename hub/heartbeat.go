package hub

import (
	"errors"
	"time"
)

const (
	// defaultPingInterval keeps idle sockets alive through proxies (nginx closes
	// after 60 s of silence by default) and finds dead peers; defaultPingTimeout is
	// how long a pong may take (Config.PingInterval and PingTimeout override both).
	defaultPingInterval = 25 * time.Second
	defaultPingTimeout  = 10 * time.Second
)

// heartbeat runs when a ping is due, a pong overdue or the token expired. One
// timer serves all three. The ping is a frame sent like the data (see push): the
// reader notes the pong (lastPong), and the heartbeat looks once it is due. The
// library's Ping would hold a goroutine for the round trip and cost a context, a
// channel and two wake-ups per ping; with 10,000 sockets opened within seconds of
// each other, their pings come in waves. One ping at a time: while one awaits its
// pong, the next waits too.
func (s *socket) heartbeat() {
	now := time.Now()
	if !now.Before(s.expires) {
		s.kill(closeTokenExpired)
		return
	}
	if !s.pingSent.IsZero() && !now.Before(s.pingSent.Add(s.h.cfg.PingTimeout)) {
		if s.lastPong.Load() < s.pingSent.UnixNano() {
			s.h.log.Debug("socket closed", "err", errNoPong)
			s.conn.CloseNow()
			return
		}
		s.pingSent = time.Time{}
	}
	if s.pingSent.IsZero() && !now.Before(s.nextPing) {
		s.push([][]byte{pingFrame()})
		s.pingSent, s.nextPing = now, now.Add(s.h.cfg.PingInterval)
	}
	s.cmu.Lock()
	if !s.ended {
		s.beat.Reset(time.Until(s.wake()))
	}
	s.cmu.Unlock()
}

// wake is when the heartbeat must run next.
func (s *socket) wake() time.Time {
	if !s.pingSent.IsZero() {
		return minTime(s.pingSent.Add(s.h.cfg.PingTimeout), s.expires)
	}
	return minTime(s.nextPing, s.expires)
}

// errNoPong ends a socket whose peer did not answer a ping in time.
var errNoPong = errors.New("hub: no pong within the ping timeout")

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
