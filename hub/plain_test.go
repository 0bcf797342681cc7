package hub

import "testing"

// The plain write path (Config.PlainWrites, the library's Conn.Write and
// Conn.Ping) delivers as the direct one does: a representative few of the hub's
// delivery tests, run on it.
func TestPlainWritesDeliver(t *testing.T) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, bool)
	}{
		{"hello then live events", helloSkipsWhatItCovers},
		{"resume and reset", resumeFromPrunedLog},
		{"frames of every length, batched", writerFramesRead},
		{"heartbeat", heartbeatClosesTheDeaf},
		{"close reasons", closeReasonsReachTheClient},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, true) })
	}
}
