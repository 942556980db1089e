package emc_test

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/detectors/emc"
)

var fuzzNames = []string{
	"EMCTRQA_histFastORL0", "EMCTRQA_histFastORL1LargeAmp", "EMCTRQA_histFastORL0Amp",
	"EMCTRQA_histFEEvsTRU_SM3", "EMCTRQA_histFastORL0_SM17", "EMCTRQA_histAmpEdgePosEMCGAHOffline",
	"EMCTRQA_histEMCalPatchAmpEMCGAHOffline", "EMCTRQA_histDCalMaxPatchAmpEMCL0Recalc",
	"hClusterM02", "hClusterNumVsV0", "hIDvsAmpHG", "hIDvsTimeLG", "EMCTRQA_histEvents", "x",
}

// FuzzFunctions runs every EMC function chosen for a histogram name over
// histograms built from arbitrary bytes (any dimension, binning, contents
// including NaN and infinities, event counts, options): functions may
// return errors but must never panic, since snapshots come from the
// network.
func FuzzFunctions(f *testing.F) {
	f.Add(uint8(0), uint8(1), uint8(10), uint8(3), int16(5), float64(1000), true, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add(uint8(6), uint8(1), uint8(200), uint8(1), int16(1000), float64(0), false, []byte{})
	f.Add(uint8(3), uint8(2), uint8(48), uint8(104), int16(0), math.NaN(), true, []byte{0xff, 0xf8, 0, 0, 0, 0, 0, 0})
	f.Add(uint8(4), uint8(3), uint8(2), uint8(2), int16(-3), math.Inf(1), true, []byte{0x7f, 0xf0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, nameIdx, dim, nx, ny uint8, user int16, nev float64, scale bool, data []byte) {
		name := fuzzNames[int(nameIdx)%len(fuzzNames)]
		d := int(dim)%3 + 1
		axes := []overwatch.Axis{overwatch.NewAxis(int(nx)%300+1, 0, float64(int(nx)%300+1))}
		class := overwatch.ClassTH1F
		if d >= 2 {
			axes = append(axes, overwatch.NewAxis(int(ny)%120+1, -1, 1))
			class = overwatch.ClassTH2F
		}
		if d == 3 {
			axes = append(axes, overwatch.NewAxis(3, 0, 3))
			class = overwatch.ClassTH3F
		}
		h := overwatch.MustNewHist(class, name, "t", axes...)
		for i := 0; i+8 <= len(data) && i/8 < len(h.Contents); i += 8 {
			h.Contents[i/8] = math.Float64frombits(binary.LittleEndian.Uint64(data[i:]))
		}
		opts := overwatch.Values{emc.OptScaleHists: scale, emc.OptHotChannelThreshold: int64(user)}
		desc := overwatch.HistDesc{Name: name, Class: class}
		var stack []*overwatch.Hist
		if d == 1 && len(data)%2 == 1 {
			desc.Class = "THStack"
			partner := h.Clone()
			partner.Name = emc.DCalPartner(name)
			stack = []*overwatch.Hist{h, partner}
		}
		c := &overwatch.FuncContext{Name: name, Hist: h, Stack: stack, Display: &overwatch.Display{}, Options: opts, NEvents: nev}
		for _, fn := range (emc.Detector{}).Functions(nil, desc) {
			_ = fn.Apply(c)
		}
	})
}
