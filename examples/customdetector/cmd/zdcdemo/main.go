// Command zdcdemo runs the ZDC detector plug-in of package zdc through the
// real pipeline — store, processing and trending — over five simulated
// snapshots whose timing slowly drifts until the trend alarm fires.
//
//	cd examples/customdetector && go run ./cmd/zdcdemo
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
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/trending"

	_ "example.org/zdc" // registers the ZDC detector
)

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

func readJSON(ctx context.Context, st bundle.Source, ref overwatch.OutputRef, v any) error {
	b, err := bundle.NewOutputs(st).Output(ctx, ref)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s output %s: %w", ref.Kind, ref.Name, err)
	}
	return nil
}
