package report

import "time"

// ServerSample is one read of one instance's /metrics.
type ServerSample struct {
	Target string             `json:"target"`
	Point  string             `json:"point"` // when in the run it was taken
	At     time.Time          `json:"at"`
	Values map[string]float64 `json:"values"`
	Err    string             `json:"error,omitempty"`
}

// Value is the named figure (0 when the sample lacks it).
func (s ServerSample) Value(name string) float64 { return s.Values[name] }
