package hub

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/supportd/supportd/store"
)

// encodeLists writes the same frame as encode for lists of json.Marshal'd values,
// at every length of the frame header (7-, 16- and 64-bit), in one allocation of
// the exact size.
func TestEncodeListsIsEncode(t *testing.T) {
	person := func(i int) []byte {
		b, _ := json.Marshal(store.Person{ID: store.ID(strings.Repeat("a", 24)), Name: "Ann <&> \u2028 " + strings.Repeat("x", i%7)})
		return b
	}
	for _, n := range []int{0, 1, 2, 900, 70000} {
		list := make([][]byte, n)
		for i := range list {
			list[i] = person(i)
		}
		for _, lists := range [][]namedList{
			{{"online", list}},
			{{"joined", list}, {"left", list[:n/2]}},
			{{"joined", nil}, {"left", nil}},
		} {
			got, want := encodeLists("presence", lists...), encode(message{Type: "presence", Data: jsonLists(lists...)})
			if !bytes.Equal(got, want) || cap(got) != len(got) {
				t.Errorf("%d lists of %d people: %d bytes (room for %d), want encode's %d", len(lists), n, len(got), cap(got), len(want))
			}
		}
	}
}
