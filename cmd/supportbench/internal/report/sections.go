package report

import "time"

// ConnectStats is how opening the sockets went.
type ConnectStats struct {
	Attempted int            `json:"attempted"`
	Opened    int            `json:"opened"`
	Failed    map[string]int `json:"failed"` // by HTTP status or "net"/"timeout"
	Elapsed   time.Duration  `json:"-"`
	ElapsedS  float64        `json:"elapsedSeconds"`
	Rate      float64        `json:"perSecond"` // opened sockets per second
	Handshake Dist           `json:"handshakeMs"`
	Hello     Dist           `json:"helloMs"` // dial start → hello frame
}

// FrameCounts sums what the sockets received besides events, and how sockets
// ended that the tool did not close.
type FrameCounts struct {
	Frames      int64          `json:"frames"`
	Bytes       int64          `json:"bytes"`
	Events      int            `json:"events"`
	Presence    int            `json:"presence"`
	Errors      int            `json:"errors"`
	Resets      int            `json:"resets"`
	Unparsed    int            `json:"unparsed"`
	NoHello     int            `json:"noHello"`
	Disconnects map[string]int `json:"disconnects"` // sockets the server ended before the tool closed them, by close code ("none": no close frame)
}
