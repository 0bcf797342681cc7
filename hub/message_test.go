package hub

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/supportd/supportd/store"
)

// encodeCompact writes the same frame as encode for data built of json.Marshal'd
// values, at every length of the frame header (7-, 16- and 64-bit).
func TestEncodeCompactIsEncode(t *testing.T) {
	person := func(i int) []byte {
		b, _ := json.Marshal(store.Person{ID: store.ID(strings.Repeat("a", 24)), Name: "Ann <&> \u2028 " + strings.Repeat("x", i%7)})
		return b
	}
	at := store.At(time.Unix(1700000000, 0))
	for _, n := range []int{0, 1, 2, 900, 70000} {
		list := make([][]byte, n)
		for i := range list {
			list[i] = person(i)
		}
		for _, m := range []message{
			{Type: "presence", Data: jsonLists(namedList{"online", list})},
			{Type: "presence.changed", Data: jsonLists(namedList{"joined", list}, namedList{"left", list[:n/2]})},
			{Type: "x", ID: "12", TicketID: store.ID(strings.Repeat("b", 24)), At: &at, Data: jsonLists(namedList{"l", list})},
			{Type: "empty"},
		} {
			if got, want := encodeCompact(m), encode(m); !bytes.Equal(got, want) {
				t.Errorf("%s of %d people: %d bytes, want encode's %d", m.Type, n, len(got), len(want))
			}
		}
	}
}
