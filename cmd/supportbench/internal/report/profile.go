package report

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// Profile is the tool's own CPU profile (-cpuprofile). It covers the measured
// phase only: the report starts it at BeginMeasure and stops it at EndMeasure.
// A nil *profile does nothing.
type Profile struct {
	f *os.File
}

// OpenProfile creates the profile's file; the profile starts with the measured phase.
func OpenProfile(path string) (*Profile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &Profile{f: f}, nil
}

func (p *Profile) start() {
	if p == nil || p.f == nil {
		return
	}
	if err := pprof.StartCPUProfile(p.f); err != nil {
		fmt.Fprintf(os.Stderr, "supportbench: cpuprofile: %v\n", err)
	}
}

// Stop ends the profile and closes its file; later calls do nothing. The env
// calls it again when the scenario returns, for runs that end before EndMeasure.
func (p *Profile) Stop() {
	if p == nil || p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	p.f.Close()
	p.f = nil
}
