package wsclient

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/supportd/supportd/cmd/supportbench/internal/ledger"
)

// frameType is the type of a server frame, as far as the tool cares.
type frameType uint8

const (
	fOther frameType = iota
	fHello
	fPresence
	fPresenceChanged
	fPong
	fError
	fReset
	fTyping
	fThreadAdded
	fTicketCreated
	fEvent // any other recorded event (it has an id)
)

// frameTypeOf maps the type field of a server frame.
func frameTypeOf(name string) frameType {
	switch name {
	case "hello":
		return fHello
	case "presence":
		return fPresence
	case "presence.changed":
		return fPresenceChanged
	case "pong":
		return fPong
	case "error":
		return fError
	case "reset":
		return fReset
	case "typing":
		return fTyping
	case "thread.added":
		return fThreadAdded
	case "ticket.created":
		return fTicketCreated
	case "ticket.updated", "ticket.status", "ticket.deleted", "threads.seen", "counts":
		return fEvent
	}
	return fOther
}

// frame is what the tool keeps of one server frame.
type frame struct {
	typ frameType
	id  int64 // event id, 0 when the frame has none
	key int64 // this run's key, 0 when not ours
}

// The fast path's field openings, in the order the server writes them.
const (
	typePrefix = `{"type":"`
	idPrefix   = `,"id":"`
)

// parseFrame reads the type, event id and this run's key of a frame. The fast path
// relies on the order in which the server writes the fields (type, id, …); anything
// else goes through encoding/json. marker is "sb.<run>.".
func parseFrame(b, marker []byte) (frame, bool) {
	var f frame
	fast := false
	if rest, ok := bytes.CutPrefix(b, []byte(typePrefix)); ok {
		if end := bytes.IndexByte(rest, '"'); end > 0 {
			f.typ = frameTypeOf(string(rest[:end]))
			rest = rest[end+1:]
			if r, ok := bytes.CutPrefix(rest, []byte(idPrefix)); ok {
				if end := bytes.IndexByte(r, '"'); end > 0 {
					if n, err := strconv.ParseInt(string(r[:end]), 10, 64); err == nil && n > 0 {
						f.id = n
					}
				}
			}
			fast = f.id != 0 || f.typ < fThreadAdded
		}
	}
	if !fast {
		var m struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return frame{}, false
		}
		f.typ = frameTypeOf(m.Type)
		if m.ID != "" {
			n, err := strconv.ParseInt(m.ID, 10, 64)
			if err != nil || n <= 0 {
				return frame{}, false
			}
			f.id = n
		}
	}
	switch f.typ {
	case fThreadAdded:
		f.key = findKey(b, marker, ledger.KindFirst, ledger.KindReply)
	case fTicketCreated:
		f.key = findKey(b, marker, ledger.KindCreated, ledger.KindCreated)
	}
	return f, true
}

// findKey returns the first nonce of this run in b whose kind is k1 or k2.
func findKey(b, marker []byte, k1, k2 byte) int64 {
	for {
		i := bytes.Index(b, marker)
		if i < 0 {
			return 0
		}
		b = b[i+len(marker):]
		if len(b) < 2 || (b[0] != k1 && b[0] != k2) {
			continue
		}
		n, j := 0, 1
		for ; j < len(b) && j < 12 && b[j] >= '0' && b[j] <= '9'; j++ {
			n = n*10 + int(b[j]-'0')
		}
		if j > 1 {
			return ledger.Key(b[0], n)
		}
	}
}

// helloLastID reads hello's lastEventId (0 when absent or malformed).
func helloLastID(b []byte) int64 {
	var m struct {
		Data struct {
			LastEventID string `json:"lastEventId"`
		} `json:"data"`
	}
	if json.Unmarshal(b, &m) != nil {
		return 0
	}
	n, _ := strconv.ParseInt(m.Data.LastEventID, 10, 64)
	return n
}
