package ledger

import "strconv"

// What the tool causes is recognisable in the frames by a nonce in the text it
// writes: "sb.<run>.<kind><n>" where kind is
//
//	c  the title of client n's ticket   (ticket.created)
//	t  the first message of that ticket (thread.added)
//	r  reply number n                   (thread.added)
//
// and a key packs kind and n into one int64 (0: not caused by this run).
const (
	KindCreated = 'c'
	KindFirst   = 't'
	KindReply   = 'r'
)

// Key packs kind and n.
func Key(kind byte, n int) int64 { return int64(kind)<<40 | int64(n) }

// KindOf is the kind of key k.
func KindOf(k int64) byte { return byte(k >> 40) }

// NumOf is the n of key k.
func NumOf(k int64) int { return int(k & (1<<40 - 1)) }

func keyString(k int64) string {
	if k == 0 {
		return "-"
	}
	return string(rune(KindOf(k))) + strconv.Itoa(NumOf(k))
}

// Nonce is the text that marks key k of this run.
func Nonce(run string, k int64) string { return "sb." + run + "." + keyString(k) }
