package hub

import (
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/supportd/supportd/pubsub"
	"github.com/supportd/supportd/store"
)

// coalesceMax bounds the events one fan-out takes from batches waiting in the
// inbox: each socket gets them in one write, and a direct write takes at most
// directMaxFrames frames (64) anyway.
const coalesceMax = 64

// takeQueued takes evs and, first merging them, the batches already waiting in the
// inbox that continue them. A dispatcher that fell behind (a burst of writes, or a
// machine too busy to run it) then sends each socket several events in one write
// instead of one write per event: the write is most of what a delivery costs, so
// the backlog drains faster the longer it is. It never waits for a batch: an idle
// inbox costs one failed receive.
func (h *Hub) takeQueued(evs []store.Event) {
	for len(evs) < coalesceMax {
		var next []store.Event
		select {
		case next = <-h.inbox:
		default:
			h.take(evs, time.Now())
			return
		}
		if len(next) > 0 && len(evs) > 0 && next[0].ID == evs[len(evs)-1].ID+1 && len(evs)+len(next) <= coalesceMax {
			evs = append(evs[:len(evs):len(evs)], next...)
			continue
		}
		h.take(evs, time.Now())
		evs = next
	}
	h.take(evs, time.Now())
}

// deliver fans a run of consecutive events out to the sockets in scope and moves
// the cursor past them. Encoding happens before the lock; under it, each socket gets
// one non-blocking send of its frames (a direct write, or its queue: a full queue
// cuts that socket, never waits; see push and sendAllLocked).
func (h *Hub) deliver(evs []store.Event) {
	if len(evs) == 0 {
		return
	}
	enc := make([]frames, len(evs))
	for i, ev := range evs {
		enc[i] = encodeEvent(ev)
	}
	// Frames per audience are built once and shared (read-only) by every socket
	// whose floor is below the run; only sockets still finishing a replay need their
	// own selection.
	first := evs[0].ID
	admin := make([][]byte, len(enc))
	byClient := map[store.ID][][]byte{}
	for i, f := range enc {
		admin[i] = f.admin
		byClient[f.ev.ClientID] = append(byClient[f.ev.ClientID], f.client)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.outbox[:0]
	for s := range h.admins {
		if s.floor < first {
			out = append(out, parcel{s, admin})
		} else {
			out = append(out, parcel{s, pick(enc, s)})
		}
	}
	for client, frames := range byClient {
		for s := range h.clients[client] {
			if s.floor < first {
				out = append(out, parcel{s, frames})
			} else {
				out = append(out, parcel{s, pick(enc, s)})
			}
		}
	}
	h.sendAllLocked(out)
	h.cursor = evs[len(evs)-1].ID
	h.metrics.events.Add(float64(len(evs)))
}

// pick selects the frames of enc that s should get: in its scope and past its floor
// (the last event its replay already sent).
func pick(enc []frames, s *socket) [][]byte {
	var out [][]byte
	for _, f := range enc {
		if f.ev.ID <= s.floor {
			continue
		}
		if b := f.forCaller(s.caller); b != nil {
			out = append(out, b)
		}
	}
	return out
}

// typingData is the data of a typing message.
type typingData struct {
	User store.Person `json:"user"`
	Role store.Role   `json:"role"`
}

// fanOutTyping relays a typing message to the sockets in the ticket's scope, except
// the sender's own.
func (h *Hub) fanOutTyping(m pubsub.Ephemeral) {
	at := store.At(time.Now())
	b := encode(message{Type: "typing", TicketID: m.TicketID, At: &at, Data: m.Data})
	frame := [][]byte{b}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.outbox[:0]
	for s := range h.admins {
		if s.caller.ID != m.From {
			out = append(out, parcel{s, frame})
		}
	}
	for s := range h.clients[m.ClientID] {
		if s.caller.ID != m.From {
			out = append(out, parcel{s, frame})
		}
	}
	h.sendAllLocked(out)
}

// parcel is what one socket gets of one fan-out.
type parcel struct {
	s      *socket
	frames [][]byte
}

// fanOutPerWorker is the fewest sockets worth another goroutine in sendAllLocked.
const fanOutPerWorker = 128

// sendAllLocked sends each parcel to its socket, under h.mu, and keeps out's array
// for the next fan-out. Sends mostly write to the connection directly (see push),
// so with many sockets they are spread over up to GOMAXPROCS goroutines, each
// taking its own contiguous share: one goroutine would write on one core only.
// Each socket appears once in out and is sent to by exactly one goroutine, and
// all of them are done before this returns, still under h.mu: fan-outs stay
// serialized, so every socket gets them in order. The goroutines live only
// within the call (no pool to stop).
func (h *Hub) sendAllLocked(out []parcel) {
	h.sendAllLockedOn(out, runtime.GOMAXPROCS(0))
}

// sendAllLockedOn is sendAllLocked on at most maxWorkers goroutines.
func (h *Hub) sendAllLockedOn(out []parcel, maxWorkers int) {
	workers := min(maxWorkers, len(out)/fanOutPerWorker)
	if workers <= 1 {
		h.metrics.addDirect(sendParcels(out))
	} else {
		share := (len(out) + workers - 1) / workers
		var wg sync.WaitGroup
		var direct atomic.Int64
		for lo := share; lo < len(out); lo += share {
			part := out[lo:min(lo+share, len(out))]
			wg.Go(func() { direct.Add(int64(sendParcels(part))) })
		}
		n := sendParcels(out[:share])
		wg.Wait()
		h.metrics.addDirect(n + int(direct.Load()))
	}
	clear(out) // let the sockets and frames go
	h.outbox = out[:0]
}

// sendParcels pushes each parcel (see push) and returns how many frames were
// written directly.
func sendParcels(out []parcel) int {
	n := 0
	for _, p := range out {
		n += p.s.push(p.frames)
	}
	return n
}

func typingMessage(c store.Caller, ticketID, clientID store.ID, instance string) pubsub.Ephemeral {
	data, _ := json.Marshal(typingData{User: store.Person{ID: c.ID, Name: c.Name}, Role: c.Role})
	return pubsub.Ephemeral{Type: "typing", TicketID: ticketID, ClientID: clientID, From: c.ID, Data: data, Instance: instance}
}
