// Command customdetector shows how to add monitoring for a new subsystem to
// Overwatch from outside the library: it defines a detector plug-in for the
// ZDC (zero-degree calorimeter) with its own groups, a processing function
// that checks the timing and a trend with an alarm, registers it, and runs
// it through the real pipeline — store, processing and trending — over
// simulated ZDC snapshots whose timing slowly drifts until the alarm fires.
//
//	go run ./examples/customdetector
//
// A detector implements overwatch.Detector (its subsystem name) and any of
// the optional hooks (here Grouper, FunctionChooser, OptionDeclarer and
// TrendDeclarer); registering it from an init function is all the wiring
// needed, exactly as for the built-in EMC, TPC and HLT plug-ins.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/trending"
)

// ZDC is the custom detector plug-in.
type ZDC struct{}

func init() { overwatch.RegisterDetector(ZDC{}) }

// Subsystem returns "ZDC".
func (ZDC) Subsystem() string { return "ZDC" }

// Options declares the half width of the accepted timing window.
func (ZDC) Options() []overwatch.OptionSpec {
	return []overwatch.OptionSpec{{
		Name: "timeWindow", Type: overwatch.OptionFloat, Default: 10.0, Min: 1, Max: 50, HasRange: true,
		Help: "Half width (ns) of the timing window around 0 that signals must fall into.",
	}}
}

// Groups shows amplitudes, timing and channel maps in their own groups.
func (ZDC) Groups(*overwatch.View) []overwatch.Group {
	return []overwatch.Group{
		{Title: "ZDC timing", Pattern: "Time"},
		{Title: "ZDC amplitudes", Pattern: "Amplitude"},
		{Title: "ZDC channel maps", Pattern: "ChannelMap"},
		{Title: "Other ZDC", Pattern: "ZDC"},
	}
}

// TimingWindow checks which fraction of the signals lies in the timing
// window, draws the window and flags the histogram when less than 90 % of
// the signals are in time.
var TimingWindow = overwatch.Function{Name: "zdc.timingWindow", Apply: func(c *overwatch.FuncContext) error {
	h := c.Hist
	if h.Dim() != 1 {
		return fmt.Errorf("zdc: timing histogram %q must be 1-D, got %s", c.Name, h.Class)
	}
	w := c.Options.Float("timeWindow")
	var in, all float64
	for i := 1; i <= h.X.NBins; i++ {
		all += h.Contents[i]
		if x := h.X.BinCenter(i); x >= -w && x <= w {
			in += h.Contents[i]
		}
	}
	frac := 1.0
	if all > 0 {
		frac = in / all
	}
	c.SetInfo("In-time fraction", fmt.Sprintf("%.3f (window ±%g ns)", frac, w))
	ymax := h.GetMaximum()
	c.Display.Decorations = append(c.Display.Decorations,
		overwatch.Decoration{Kind: overwatch.DecoLine, X1: -w, Y1: 0, X2: -w, Y2: ymax, Color: "#00aa00", Dashed: true},
		overwatch.Decoration{Kind: overwatch.DecoLine, X1: w, Y1: 0, X2: w, Y2: ymax, Color: "#00aa00", Dashed: true})
	if frac < 0.9 {
		c.Flag(overwatch.QualityBad, fmt.Sprintf("only %.0f %% of the signals in time", 100*frac))
	} else {
		c.Flag(overwatch.QualityGood, "")
	}
	return nil
}}

// LogY draws amplitude spectra with a logarithmic y axis.
var LogY = overwatch.Function{Name: "zdc.logY", Apply: func(c *overwatch.FuncContext) error {
	c.Display.LogY = true
	return nil
}}

// Functions chooses the functions of a histogram.
func (ZDC) Functions(_ *overwatch.View, h overwatch.HistDesc) []overwatch.Function {
	switch {
	case strings.Contains(h.Name, "Time"):
		return []overwatch.Function{TimingWindow}
	case strings.Contains(h.Name, "Amplitude"):
		return []overwatch.Function{LogY}
	}
	return nil
}

// Trends follows the mean signal time, with an alarm when it leaves ±2 ns.
func (ZDC) Trends() []overwatch.TrendDecl {
	return []overwatch.TrendDecl{{
		Name: "meanTime", Desc: "Mean ZDC signal time (ns)", Hist: "ZDC_histTime", Extractor: "mean",
		Alarms: []overwatch.AlarmSpec{{Name: "timeDrift", Kind: "BetweenValues", Text: "WARNING", Params: map[string]float64{"minVal": -2, "maxVal": 2}}},
	}}
}

func main() {
	dir, err := os.MkdirTemp("", "overwatch-customdetector-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	if err := run(context.Background(), os.Stdout, dir); err != nil {
		fmt.Fprintln(os.Stderr, "customdetector:", err)
		os.Exit(1)
	}
}

// run simulates a ZDC run of five snapshots, 20 s apart, whose timing
// drifts by 0.1 ns per second, processes each through the pipeline into a
// store under dir and prints what the detector produced.
func run(ctx context.Context, w io.Writer, dir string) error {
	const runNumber = 123456
	quiet := slog.New(slog.DiscardHandler)
	st, err := store.Open(dir, store.Options{Subsystems: []string{"ZDC"}, Logger: quiet, NoSyncOutputs: true})
	if err != nil {
		return err
	}
	defer st.Close()
	trends, err := trending.NewManager(st, trending.Config{}, nil, quiet)
	if err != nil {
		return err
	}
	proc := processing.New(st, processing.Options{Observer: trends, NoPNG: true, ScanInterval: -1, Workers: 1, Logger: quiet})

	gen := generator.New(generator.Config{Seed: 7, Subsystems: []string{"ZDC"}, EventsPerSecond: 500})
	gen.StartRun(runNumber)
	if err := gen.SetDrift("ZDC", "ZDC_histTime", 0.1); err != nil {
		return err
	}
	fmt.Fprintf(w, "registered detectors: %v\n", overwatch.Detectors())
	for i := 1; i <= 5; i++ {
		gen.Advance(20 * time.Second)
		data, err := overwatch.EncodeFile(gen.Snapshot("ZDC"))
		if err != nil {
			return err
		}
		info, err := st.PutSnapshot(ctx, overwatch.SnapshotMeta{
			Run: runNumber, Subsystem: "ZDC", Mode: overwatch.ModeCompress, Time: gen.Now(), Origin: "example",
		}, bytes.NewReader(data))
		if err != nil {
			return err
		}
		if err := proc.Process(ctx, info); err != nil {
			return err
		}
		trends.EndCycle(ctx)

		var hints overwatch.Hints
		if err := readJSON(ctx, st, overwatch.OutputRef{Run: runNumber, Subsystem: "ZDC", Name: "ZDC_histTime", Kind: overwatch.OutputHints}, &hints); err != nil {
			return err
		}
		fmt.Fprintf(w, "snapshot %d: %5.0f events, timing quality %-4s", i, hints.NEvents, hints.Quality)
		for _, it := range hints.Info {
			if trend, ok := strings.CutPrefix(it.Label, "Alarm"); ok {
				// Alarm texts of the trends fed by this histogram.
				fmt.Fprintf(w, " | alarm on %s", trend)
				continue
			}
			fmt.Fprintf(w, " | %s: %s", it.Label, it.Value)
		}
		fmt.Fprintln(w)
	}

	var view overwatch.ViewDoc
	if err := readJSON(ctx, st, overwatch.ViewRef(runNumber, "ZDC", ""), &view); err != nil {
		return err
	}
	for _, g := range view.Groups {
		var names []string
		for _, h := range g.Hists {
			names = append(names, h.Name)
		}
		fmt.Fprintf(w, "group %q: %s\n", g.Title, strings.Join(names, ", "))
	}
	pts, err := st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "ZDC", Trend: "meanTime"})
	if err != nil {
		return err
	}
	var vals []string
	for _, p := range pts {
		vals = append(vals, fmt.Sprintf("%.2f", p.Value))
	}
	fmt.Fprintf(w, "trend meanTime: %s\n", strings.Join(vals, " "))
	alarms, err := st.Alarms(ctx, overwatch.AlarmQuery{Subsystem: "ZDC"})
	if err != nil {
		return err
	}
	for _, a := range alarms {
		fmt.Fprintf(w, "alarm %s: %s since run %d\n", a.ID, a.State, a.Run)
	}
	return nil
}

func readJSON(ctx context.Context, st overwatch.OutputStore, ref overwatch.OutputRef, v any) error {
	b, err := st.Output(ctx, ref)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s output %s: %w", ref.Kind, ref.Name, err)
	}
	return nil
}
