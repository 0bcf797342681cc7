package main

import (
	"os"
	"runtime/pprof"
)

// profile is the tool's own CPU profile (-cpuprofile). It covers the measured
// phase only: the report starts it at beginMeasure and stops it at endMeasure.
// A nil *profile does nothing.
type profile struct {
	f *os.File
}

func openProfile(path string) (*profile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &profile{f: f}, nil
}

func (p *profile) start() {
	if p == nil || p.f == nil {
		return
	}
	if err := pprof.StartCPUProfile(p.f); err != nil {
		warnf("cpuprofile: %v", err)
	}
}

// stop ends the profile and closes its file; later calls do nothing. The env
// calls it again when the scenario returns, for runs that end before endMeasure.
func (p *profile) stop() {
	if p == nil || p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	p.f.Close()
	p.f = nil
}
