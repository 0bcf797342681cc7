package hub

import "github.com/supportd/supportd/store"

// onlineList is the list of the super admins' presence snapshot, kept as the
// encoded people joined by commas, in the order they came online. A join appends
// to it; a snapshot is a frame of three parts (head, the list as it stands, tail)
// written in one writev, so that a connecting agent costs a small head, not a copy
// of everyone online: in a wave of 5,000 agents connecting, building a whole new
// frame per connect was gigabytes of copies and most of the server's garbage (and
// so the heap it kept after the wave). A leave marks the list stale; the next
// snapshot rebuilds it once.
//
// Bytes before the list's length are never written again: an append past them,
// or a rebuild into a new array, leaves a snapshot already handed out intact.
// Guarded by the hub's lock.
type onlineList struct {
	items []byte // encoded people, comma-separated
	stale bool   // someone left: rebuild from the view before the next snapshot
}

// add appends one encoded person.
func (l *onlineList) add(person []byte) {
	if l.stale {
		return // the rebuild takes it from the view
	}
	if len(l.items) > 0 {
		l.items = append(l.items, ',')
	}
	l.items = append(l.items, person...)
}

// snapshot is the frame {"type":"presence","data":{"online":[…]}} of view (the
// people the list holds), in parts to write in order.
func (l *onlineList) snapshot(view map[store.ID][]byte) [][]byte {
	if l.stale {
		l.items, l.stale = nil, false
		for _, b := range view {
			l.add(b)
		}
	}
	list := l.items[:len(l.items):len(l.items)]
	n := len(snapshotHead) + len(list) + len(snapshotTail)
	head := appendFrameHeader(make([]byte, 0, headerSize(n)+len(snapshotHead)), n)
	return [][]byte{append(head, snapshotHead...), list, []byte(snapshotTail)}
}

// The snapshot's frame around its list: what encodeLists writes for it.
const (
	snapshotHead = `{"type":"presence","data":{"online":[`
	snapshotTail = `]}}`
)
