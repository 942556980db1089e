package emc

import "github.com/overwatch-dqm/overwatch"

// fastORMaps matches the L0 and L1 FastOR channel maps (hits per FastOR
// ID).
const fastORMaps = Prefix + "FastORL[01]"

// Checks declares the EMC data-quality checks on the FastOR channel maps:
// hot FastORs (more than 10 times the median of their neighbours, at least
// 5) and dead ones (at most 5% of the median of their neighbours, judged
// once that median reaches 20 hits). A configured check of the same name
// replaces these (quality section of the configuration).
func (Detector) Checks(*overwatch.View) []overwatch.CheckSpec {
	return []overwatch.CheckSpec{
		{Name: "fastORHot", Hist: fastORMaps, Check: "HotChannels",
			Params: map[string]any{"Radius": 2, "HotFactor": 10.0, "MinMedian": 5.0, "NBinsGreen": 0, "NBinsRed": 3}},
		{Name: "fastORDead", Hist: fastORMaps, Check: "DeadChannels",
			Params: map[string]any{"Radius": 2, "DeadFraction": 0.05, "MinMedian": 20.0, "NBinsGreen": 10, "NBinsRed": 50}},
	}
}
