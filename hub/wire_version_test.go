package hub

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The wire_*.go files write frames beside coder/websocket on the connection it
// hijacked, relying on how that version writes (see wireLibraryVersion). A new
// version in go.mod must be checked against them before it ships.
func TestWireLibraryVersion(t *testing.T) {
	const module = "github.com/coder/websocket"
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == module {
			got = f[1]
		}
	}
	if got == "" {
		t.Fatalf("go.mod does not require %s", module)
	}
	if got != wireLibraryVersion {
		t.Fatalf("go.mod requires %s %s, but hub's wire_*.go were checked against %s: "+
			"re-check what wireLibraryVersion's comment lists (control frames flushed whole through "+
			"the hijacked bufio.Writer, no data or ping written by the library, compression off) "+
			"in the new version's write.go, conn.go and accept.go, run the hub's wire tests, then "+
			"update wireLibraryVersion; until then set WS_DIRECT_WRITES=off (Config.PlainWrites)",
			module, got, wireLibraryVersion)
	}
}
