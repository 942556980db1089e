package generator

import (
	"fmt"
	"time"
)

// DeadRegion is a rectangle of channels of a 1-D or 2-D histogram that stop
// recording from From (run time) on, as when a readout link fails mid-run:
// their content freezes while the others keep filling. Bins X1..X2 and
// Y1..Y2 are inclusive, 1-based (Y ignored for 1-D).
type DeadRegion struct {
	Subsystem, Hist string
	From            time.Duration
	X1, X2, Y1, Y2  int
	// Every makes the region die only in every Every-th run of a
	// simulator (the 2nd, 4th, … for 2); 0 or 1: in every run. Used by
	// hltsim's server, not by the generator.
	Every int
}

// ClearDeadRegions makes every channel record again.
func (g *Generator) ClearDeadRegions() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, s := range g.systems {
		for _, m := range s.models {
			m.deadCells, m.deadNow = nil, false
		}
	}
}

// SetDeadRegion makes a region of a histogram dead from r.From on in the
// current run (replacing the histogram's previous region; StartRun does not
// clear it, so that it applies to every run until replaced).
func (g *Generator) SetDeadRegion(r DeadRegion) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.bySys[r.Subsystem]
	if !ok {
		return fmt.Errorf("generator: no subsystem %q", r.Subsystem)
	}
	m, ok := s.byName[r.Hist]
	if !ok {
		return fmt.Errorf("generator: subsystem %s has no histogram %q", r.Subsystem, r.Hist)
	}
	h := m.h
	ny := 1
	if h.Dim() == 2 {
		ny = h.Y.NBins
	} else if h.Dim() != 1 {
		return fmt.Errorf("generator: dead regions need a 1-D or 2-D histogram; %q is %d-D", r.Hist, h.Dim())
	}
	y1, y2 := r.Y1, r.Y2
	if h.Dim() == 1 {
		y1, y2 = 0, 0
	}
	if r.X1 < 1 || r.X2 < r.X1 || r.X2 > h.X.NBins || h.Dim() == 2 && (y1 < 1 || y2 < y1 || y2 > ny) || r.From < 0 {
		return fmt.Errorf("generator: dead region x %d..%d, y %d..%d from %v is outside %q or empty", r.X1, r.X2, r.Y1, r.Y2, r.From, r.Hist)
	}
	cells := map[int]bool{}
	for iy := y1; iy <= y2; iy++ {
		for ix := r.X1; ix <= r.X2; ix++ {
			cells[h.Bin(ix, iy, 0)] = true
		}
	}
	m.deadCells, m.deadFrom, m.deadNow = cells, r.From.Seconds(), false
	return nil
}
