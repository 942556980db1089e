package tpc_test

import (
	"math"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/tpc"
)

// FuzzDerive runs every TPC derivation over TH3 sources of arbitrary
// binning and contents: a source from the network may have any axes, so
// derivations may fail with an error but must never panic.
func FuzzDerive(f *testing.F) {
	f.Add(uint8(160), uint8(30), uint8(36), -1.5, 1.5, 1.0)
	f.Add(uint8(1), uint8(1), uint8(1), 0.5, 1.5, math.NaN())
	f.Add(uint8(10), uint8(2), uint8(30), -1.0, 0.0, math.Inf(-1))
	f.Fuzz(func(t *testing.T, nx, ny, nz uint8, etaMin, etaMax, fill float64) {
		if !(etaMax > etaMin) || math.IsInf(etaMin, 0) || math.IsInf(etaMax, 0) || math.IsNaN(etaMin) || math.IsNaN(etaMax) {
			return
		}
		src, err := overwatch.NewHist(overwatch.ClassTH3D, "src", "",
			overwatch.NewAxis(int(nx)%200+1, 0, 160), overwatch.NewAxis(int(ny)%40+1, etaMin, etaMax), overwatch.NewAxis(int(nz)%60+1, 0, 6.3))
		if err != nil {
			return
		}
		for i := range src.Contents {
			if i%3 == 0 {
				src.Contents[i] = fill
			}
		}
		var v overwatch.View
		v.Subsystem, v.Source = "TPC", "TPC"
		for _, s := range []string{"pos", "neg"} {
			for _, k := range []int{0, 2, 3, 4} {
				for _, w := range []int{6, 7} {
					v.Hists = append(v.Hists, overwatch.HistDesc{Name: tpc.TrackHist(s, k, w), Class: overwatch.ClassTH3D})
				}
			}
		}
		for _, d := range (tpc.Detector{}).Derive(&v) {
			h, err := d.Derive([]*overwatch.Hist{src.Clone()}, nil)
			if err == nil && h == nil {
				t.Fatalf("%s: no histogram and no error", d.Name)
			}
		}
	})
}
