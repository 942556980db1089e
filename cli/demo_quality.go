package cli

import (
	"context"
	"errors"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

// The demo's quality story: a region of EMC FastOR channels dies three
// simulated minutes into every second run; DeadChannels finds it (Bad
// once the region holds at most half its neighbours' counts, about minute
// 6), the EMC flag turns Bad (a badge on the run list), the quality alarm
// fires after three Bad snapshots and resolves in the next, healthy run.
// Every subsystem's reference is the demo's first run, to which Chi2Test
// compares the same map.
const (
	demoDeadSys  = "EMC"
	demoDeadHist = "EMCTRQA_histFastORL0Amp"
)

// demoDeadRegion is 3 × 4 FastORs dying at minute 3 of the 2nd, 4th, … run.
var demoDeadRegion = generator.DeadRegion{Subsystem: demoDeadSys, Hist: demoDeadHist, From: 3 * time.Minute,
	X1: 20, X2: 22, Y1: 50, Y2: 53, Every: 2}

// demoQuality is the demo's quality section: the dead-channel check and a
// comparison with the reference, with p-value thresholds loose enough
// that two healthy runs rarely differ.
func demoQuality() map[string]quality.Config {
	return map[string]quality.Config{demoDeadSys: {Checks: []overwatch.CheckSpec{
		// Processing scales the histograms by the number of events:
		// about 1 per FastOR, hence the low MinMedian.
		{Name: "deadFastOR", Hist: demoDeadHist, Check: "DeadChannels", Params: map[string]any{"DeadFraction": 0.5, "NBinsRed": 5, "MinMedian": 0.05}},
		{Name: "vsReference", Hist: demoDeadHist, Check: "Chi2Test", Params: map[string]any{"PValueBad": 1e-6, "PValueMedium": 1e-3}},
	}}}
}

// demoReferences declares the first run as every subsystem's reference
// for every later run, unless a declaration exists (a restarted demo).
func demoReferences(ctx context.Context, docs overwatch.DocumentStore, subsystems []string, firstRun int, log interface{ Info(string, ...any) }) error {
	for _, sys := range subsystems {
		r := quality.Reference{Subsystem: sys, First: firstRun, Run: firstRun, Author: demoUser, Comment: "the demo's first run"}
		d, err := r.Document()
		if err != nil {
			return err
		}
		if _, err := docs.PutDocument(ctx, d, 0); err != nil && !errors.Is(err, overwatch.ErrVersionConflict) {
			return err
		}
		log.Info("reference declared", "subsystem", sys, "runs", r.Range(), "reference", r.Run)
	}
	return nil
}
