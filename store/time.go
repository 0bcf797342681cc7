package store

import (
	"fmt"
	"time"
)

// TimeLayout is the wire format of every time: UTC with milliseconds.
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Time is a UTC instant with millisecond precision, so a value read back from either
// store marshals exactly as it did when it was made.
type Time struct{ time.Time }

// At truncates t to milliseconds in UTC.
func At(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// MarshalJSON writes the wire format.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON reads the wire format (or any RFC 3339 time).
func (t *Time) UnmarshalJSON(b []byte) error {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("time: want a string, got %s", b)
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return err
	}
	*t = At(v)
	return nil
}
