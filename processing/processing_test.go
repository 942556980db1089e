package processing

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tstDetector is the test detector of subsystem "TST": every hook.
type tstDetector struct{}

func (tstDetector) Subsystem() string { return "TST" }

func (tstDetector) Groups(v *overwatch.View) []overwatch.Group {
	return []overwatch.Group{
		{Title: "Energy", Pattern: "Energy"},
		{Title: "Maps", Pattern: "Map", Grid: true},
		{Title: "Other", Match: func(n string) bool { return strings.HasPrefix(n, "TST") }},
	}
}

func (tstDetector) Derive(v *overwatch.View) []overwatch.Derived {
	if _, ok := v.Lookup("TSTMap"); !ok {
		return nil
	}
	return []overwatch.Derived{{Name: "TSTMapProjX", Class: overwatch.ClassTH1D, Sources: []string{"TSTMap"},
		Derive: func(src []*overwatch.Hist, _ overwatch.Values) (*overwatch.Hist, error) {
			m := src[0]
			p := overwatch.MustNewHist(overwatch.ClassTH1D, "TSTMapProjX", "projection", m.X)
			for ix := 0; ix <= m.X.NBins+1; ix++ {
				for iy := 0; iy <= m.Y.NBins+1; iy++ {
					p.Contents[ix] += m.Contents[m.Bin(ix, iy, 0)]
				}
			}
			return p, nil
		}}}
}

func (tstDetector) Stacks(v *overwatch.View) []overwatch.Stack {
	return []overwatch.Stack{{Name: "TSTEnergyStack", Title: "A and B", Members: []string{"TSTEnergyA", "TSTEnergyB"}}}
}

func (tstDetector) Options() []overwatch.OptionSpec {
	return []overwatch.OptionSpec{
		{Name: "scaleHists", Type: overwatch.OptionBool, Default: true},
		{Name: "threshold", Type: overwatch.OptionFloat, Default: 0.0, HasRange: true, Min: 0, Max: 100},
	}
}

func (tstDetector) SetDisplay(v *overwatch.View, h overwatch.HistDesc, d *overwatch.Display) {
	if h.Dim() == 2 {
		d.DrawOption = "colz"
		d.LogZ = true
	}
	if h.Name == "TSTEnergyC" {
		d.PrettyName = "Energy C"
	}
}

func (tstDetector) Functions(v *overwatch.View, h overwatch.HistDesc) []overwatch.Function {
	switch h.Name {
	case "TSTEnergyC":
		return []overwatch.Function{{Name: "tst.scale", Apply: func(c *overwatch.FuncContext) error {
			c.SetInfo("nEvents", fmt.Sprint(c.NEvents))
			if c.Options.Bool("scaleHists") {
				c.Hist.Scale(1 / c.NEvents)
			}
			if t := c.Options.Float("threshold"); t > 0 {
				c.SetInfo("threshold", fmt.Sprint(t))
			}
			return nil
		}}}
	case "TSTAGrid":
		return []overwatch.Function{{Name: "tst.grid", Apply: func(c *overwatch.FuncContext) error {
			c.Display.GridX = true
			c.Display.Decorations = append(c.Display.Decorations, overwatch.Decoration{Kind: overwatch.DecoLine, X1: 1, Y1: 0, X2: 1, Y2: 1})
			return nil
		}}}
	case "TSTBroken":
		return []overwatch.Function{
			{Name: "tst.panic", Apply: func(c *overwatch.FuncContext) error { panic("boom") }},
			{Name: "tst.fail", Apply: func(c *overwatch.FuncContext) error { return fmt.Errorf("no good") }},
			{Name: "tst.flag", Apply: func(c *overwatch.FuncContext) error { c.Flag(overwatch.QualityBad, "too hot"); return nil }},
		}
	}
	return nil
}

func init() { overwatch.RegisterDetector(tstDetector{}) }

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func h1(name string, n int, fill float64) *overwatch.Hist {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, name, name+";x;y", overwatch.NewAxis(n, 0, float64(n)))
	for i := 0; i < n; i++ {
		_ = h.Fill(fill, float64(i)+0.5)
	}
	return h
}

func h2(name string, n int, fill float64) *overwatch.Hist {
	h := overwatch.MustNewHist(overwatch.ClassTH2F, name, name, overwatch.NewAxis(n, 0, float64(n)), overwatch.NewAxis(n, 0, float64(n)))
	for i := 0; i < n; i++ {
		_ = h.Fill(fill, float64(i)+0.5, float64(i)+0.5)
	}
	return h
}

func events(name string, n float64) *overwatch.Hist {
	h := overwatch.MustNewHist(overwatch.ClassTH1D, name, name, overwatch.NewAxis(2, 0, 2))
	h.Contents[1] = n
	return h
}

// tstSnapshot builds a TST snapshot of a cumulative run at step k.
func tstSnapshot(k int, extra ...*overwatch.Hist) []byte {
	f := float64(k)
	hs := []*overwatch.Hist{
		events("TSTEvents", 100*f), h1("TSTEnergyA", 10, f), h1("TSTEnergyB", 10, 2*f), h1("TSTEnergyC", 10, 10*f),
		h2("TSTMap", 8, f), h1("TSTAGrid", 5, f), h1("TSTBGrid", 5, f), h1("TSTBroken", 5, f), h1("OTHERhist", 5, f),
	}
	return histtest.GobEncode(append(hs, extra...)...)
}

func newTest(t *testing.T, opts Options, subs ...string) (*memStore, *Processor) {
	t.Helper()
	st := newMemStore(subs...)
	if opts.Decode == nil {
		opts.Decode = histtest.GobDecode
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return st, New(st, opts)
}

func put(t *testing.T, st overwatch.Store, run int, sys string, at time.Time, data []byte) overwatch.SnapshotInfo {
	t.Helper()
	info, err := st.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress, Time: at, Origin: "test"}, bytes.NewReader(data))
	require.NoError(t, err)
	return info
}

func readView(t *testing.T, st overwatch.Store, run int, sys, slice string) overwatch.ViewDoc {
	t.Helper()
	b, err := bundle.NewOutputs(st).Output(context.Background(), overwatch.ViewRef(run, sys, slice))
	require.NoError(t, err)
	var v overwatch.ViewDoc
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

func readHints(t *testing.T, st overwatch.Store, run int, sys, slice, name string) overwatch.Hints {
	t.Helper()
	b, err := bundle.NewOutputs(st).Output(context.Background(), overwatch.OutputRef{Run: run, Subsystem: sys, Slice: slice, Name: name, Kind: overwatch.OutputHints})
	require.NoError(t, err, name)
	var h overwatch.Hints
	require.NoError(t, json.Unmarshal(b, &h))
	return h
}

func viewNames(v overwatch.ViewDoc) map[string][]string {
	out := map[string][]string{}
	for _, g := range v.Groups {
		for _, h := range g.Hists {
			out[g.Title] = append(out[g.Title], h.Name)
		}
	}
	return out
}

func TestProcessView(t *testing.T) {
	st, p := newTest(t, Options{PNG: PNGEager}, "TST")
	s := put(t, st, 100, "TST", t0, tstSnapshot(1))
	require.NoError(t, p.Process(context.Background(), s))

	v := readView(t, st, 100, "TST", "")
	assert.True(t, v.Complete)
	assert.Equal(t, overwatch.SnapshotDoc{Time: t0.Unix(), Path: s.Path}, v.Snapshot)
	assert.Equal(t, 100.0, v.NEvents)
	assert.Equal(t, `{"scaleHists":true,"threshold":0}`, v.Options)
	// Classification: first matching group; stack members replaced by the
	// stack; derived histograms added; names of other subsystems skipped.
	assert.Equal(t, map[string][]string{
		"Energy": {"TSTEnergyC", "TSTEnergyStack"},
		"Maps":   {"TSTMap", "TSTMapProjX"},
		"Other":  {"TSTAGrid", "TSTBGrid", "TSTBroken", "TSTEvents"},
	}, viewNames(v))
	require.Len(t, v.Groups, 3)
	assert.True(t, v.Groups[1].Grid)
	assert.Equal(t, "Energy C", v.Groups[0].Hists[0].PrettyName)
	assert.Equal(t, overwatch.StackClass, v.Groups[0].Hists[1].Class)

	hb := readHints(t, st, 100, "TST", "", "TSTBroken")
	assert.Equal(t, overwatch.QualityBad, hb.Quality)
	assert.Equal(t, []string{"too hot"}, hb.QualityReasons)
	require.GreaterOrEqual(t, len(hb.Errors), 2)
	assert.Contains(t, hb.Errors[0], "tst.panic: panic: boom")
	assert.Contains(t, hb.Errors[1], "tst.fail: no good")

	hm := readHints(t, st, 100, "TST", "", "TSTMap")
	assert.Equal(t, "colz", hm.Display.DrawOption)
	assert.True(t, hm.Display.LogZ)
	assert.Equal(t, "Maps", hm.Group)

	if !p.opts.NoPNG {
		for _, n := range []string{"TSTMap", "TSTEnergyStack", "TSTMapProjX", "TSTEnergyC"} {
			img := st.output(overwatch.OutputRef{Run: 100, Subsystem: "TST", Name: n, Kind: overwatch.OutputPNG})
			require.NotEmpty(t, img, n)
			assert.True(t, bytes.HasPrefix(img, []byte("\x89PNG")), n)
		}
	}
}

// §10.1-2: nEvents is read from every processed snapshot (and guarded
// against zero), not frozen at the first one.
func TestNEventsRefreshedAndGuarded(t *testing.T) {
	st, p := newTest(t, Options{NoPNG: true}, "TST")
	ctx := context.Background()
	for k, want := range map[int]float64{1: 100, 3: 300} {
		s := put(t, st, 7, "TST", t0.Add(time.Duration(k)*time.Minute), tstSnapshot(k))
		require.NoError(t, p.Process(ctx, s))
		hc := readHints(t, st, 7, "TST", "", "TSTEnergyC")
		assert.Equal(t, want, hc.NEvents)
		assert.Equal(t, []overwatch.InfoItem{{Label: "nEvents", Value: fmt.Sprint(want)}}, hc.Info)
	}
	// Zero events: 1, never a division by zero.
	s := put(t, st, 7, "TST", t0.Add(time.Hour), tstSnapshot(0))
	require.NoError(t, p.Process(ctx, s))
	assert.Equal(t, 1.0, readView(t, st, 7, "TST", "").NEvents)

	tests := []struct {
		name  string
		hists map[string]*overwatch.Hist
		want  float64
	}{
		{"none", map[string]*overwatch.Hist{"a": h1("a", 2, 1)}, 1},
		{"last alphabetically", map[string]*overwatch.Hist{"aEvents": events("aEvents", 5), "bEVENTS": events("bEVENTS", 7)}, 7},
		{"zero", map[string]*overwatch.Hist{"nEvents": events("nEvents", 0)}, 1},
		{"negative", map[string]*overwatch.Hist{"nEvents": events("nEvents", -3)}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			for n := range tc.hists {
				names = append(names, n)
			}
			sortStrings(names)
			assert.Equal(t, tc.want, nEventsOf(tc.hists, names))
		})
	}
}

// §10.1-3: histograms appearing later in the run are added to the view.
func TestNewHistogramsAppear(t *testing.T) {
	st, p := newTest(t, Options{NoPNG: true}, "TST")
	ctx := context.Background()
	require.NoError(t, p.Process(ctx, put(t, st, 8, "TST", t0, tstSnapshot(1))))
	assert.NotContains(t, viewNames(readView(t, st, 8, "TST", ""))["Other"], "TSTLate")
	require.NoError(t, p.Process(ctx, put(t, st, 8, "TST", t0.Add(time.Minute), tstSnapshot(2, h1("TSTLate", 3, 1)))))
	assert.Contains(t, viewNames(readView(t, st, 8, "TST", ""))["Other"], "TSTLate")
	readHints(t, st, 8, "TST", "", "TSTLate")
}

// §10.1-15 and §10.1-16: nothing accumulates across cycles ("nostack") or
// leaks between histograms (grid, decorations).
func TestNoStateLeaks(t *testing.T) {
	st, p := newTest(t, Options{NoPNG: true, Workers: 1}, "TST")
	ctx := context.Background()
	for k := 1; k <= 3; k++ {
		require.NoError(t, p.Process(ctx, put(t, st, 9, "TST", t0.Add(time.Duration(k)*time.Minute), tstSnapshot(k))))
		hs := readHints(t, st, 9, "TST", "", "TSTEnergyStack")
		assert.Equal(t, "nostack", hs.Display.DrawOption, "cycle %d", k)
		assert.Equal(t, []string{"TSTEnergyA", "TSTEnergyB"}, hs.Stack)
		ha := readHints(t, st, 9, "TST", "", "TSTAGrid")
		assert.True(t, ha.Display.GridX)
		assert.Len(t, ha.Display.Decorations, 1, "decorations do not pile up")
		hb := readHints(t, st, 9, "TST", "", "TSTBGrid")
		assert.False(t, hb.Display.GridX, "grid of the previous histogram does not leak")
		assert.Empty(t, hb.Display.Decorations)
	}
}

// Idempotence: the same input gives byte-identical JSON outputs.
func TestIdempotent(t *testing.T) {
	st, p := newTest(t, Options{NoPNG: true}, "TST")
	ctx := context.Background()
	s := put(t, st, 10, "TST", t0, tstSnapshot(2))
	require.NoError(t, p.Process(ctx, s))
	first := map[overwatch.OutputRef][]byte{}
	st.mu.Lock()
	for k, v := range st.outs {
		first[k] = v
	}
	st.mu.Unlock()
	require.NoError(t, p.Process(ctx, s))
	st.mu.Lock()
	defer st.mu.Unlock()
	require.Equal(t, len(first), len(st.outs))
	for k, v := range first {
		assert.Equal(t, string(v), string(st.outs[k]), "%+v", k)
	}
}

// §10.1-6 and §10.1-7: a subsystem borrowing the HLT files writes its
// outputs in its own namespace, and the observer is told per subsystem.
func TestBorrowingSubsystem(t *testing.T) {
	obs := &recObserver{}
	// BRW has no detector and no files of its own: it borrows HLT's.
	st, p := newTest(t, Options{NoPNG: true, Observer: obs}, "BRW", "HLT")
	hlt := histtest.GobEncode(h1("BRWclusters", 4, 1), h1("HLTload", 4, 2), events("HLTEvents", 10))
	s := put(t, st, 11, "HLT", t0, hlt)
	require.NoError(t, p.Process(context.Background(), s))

	vt := readView(t, st, 11, "BRW", "")
	assert.Equal(t, "HLT", vt.Source)
	assert.Equal(t, map[string][]string{"BRW Histograms": {"BRWclusters"}}, viewNames(vt))
	vh := readView(t, st, 11, "HLT", "")
	var hltNames []string
	for _, names := range viewNames(vh) {
		hltNames = append(hltNames, names...)
	}
	assert.ElementsMatch(t, []string{"HLTEvents", "HLTload", "BRWclusters"}, hltNames)
	// Same histogram, two outputs, two namespaces.
	assert.Equal(t, "BRW Histograms", readHints(t, st, 11, "BRW", "", "BRWclusters").Group)
	assert.NotEqual(t, "BRW Histograms", readHints(t, st, 11, "HLT", "", "BRWclusters").Group)
	// Observer calls keyed by subsystem: each histogram once per subsystem.
	obs.mu.Lock()
	defer obs.mu.Unlock()
	assert.ElementsMatch(t, []string{"HLT/HLTEvents", "HLT/HLTload", "HLT/BRWclusters", "BRW/BRWclusters"}, obs.seen)
	// Alarm texts are merged into the hints, after the functions' lines.
	hh := readHints(t, st, 11, "HLT", "", "HLTload")
	require.NotEmpty(t, hh.Info)
	assert.Equal(t, overwatch.InfoItem{Label: "AlarmHLTload", Value: "HLT: too high"}, hh.Info[len(hh.Info)-1])
}

type recObserver struct {
	mu     sync.Mutex
	seen   []string
	cycles int
	fail   bool
}

func (o *recObserver) Observe(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for n := range hists {
		o.seen = append(o.seen, sys+"/"+n)
	}
	if o.fail {
		return nil, fmt.Errorf("observer down")
	}
	if _, ok := hists["HLTload"]; ok {
		return map[string][]overwatch.InfoItem{"HLTload": {{Label: "AlarmHLTload", Value: sys + ": too high"}}}, nil
	}
	return nil, nil
}

func (o *recObserver) EndCycle(ctx context.Context) {
	o.mu.Lock()
	o.cycles++
	o.mu.Unlock()
}

func TestObserverErrorDoesNotStopProcessing(t *testing.T) {
	obs := &recObserver{fail: true}
	st, p := newTest(t, Options{NoPNG: true, Observer: obs}, "HLT")
	require.NoError(t, p.Process(context.Background(), put(t, st, 12, "HLT", t0, histtest.GobEncode(h1("HLTload", 4, 2)))))
	assert.True(t, readView(t, st, 12, "HLT", "").Complete)
}

// §10.1-21: a time slice writes under its key and never touches the full
// run's outputs (information panel, pretty names).
func TestSliceDoesNotTouchFullRun(t *testing.T) {
	st, p := newTest(t, Options{NoPNG: true}, "TST")
	ctx := context.Background()
	s := put(t, st, 13, "TST", t0, tstSnapshot(2))
	require.NoError(t, p.Process(ctx, s))
	st.mu.Lock()
	before := map[overwatch.OutputRef]string{}
	for k, v := range st.outs {
		before[k] = string(v)
	}
	st.mu.Unlock()

	f, err := histtest.GobDecode(tstSnapshot(1))
	require.NoError(t, err)
	res, err := p.ProcessFile(ctx, f, Target{Run: 13, Subsystem: "TST", Slice: "abc123", Snapshot: s,
		Options: overwatch.Values{"scaleHists": false, "threshold": 5.0}})
	require.NoError(t, err)
	assert.Equal(t, 100.0, res.NEvents)
	st.mu.Lock()
	for k, v := range before {
		assert.Equal(t, v, string(st.outs[k]), "%+v changed", k)
	}
	st.mu.Unlock()
	hs := readHints(t, st, 13, "TST", "abc123", "TSTEnergyC")
	assert.Equal(t, []overwatch.InfoItem{{Label: "nEvents", Value: "100"}, {Label: "threshold", Value: "5"}}, hs.Info)
	full := readHints(t, st, 13, "TST", "", "TSTEnergyC")
	assert.Equal(t, []overwatch.InfoItem{{Label: "nEvents", Value: "200"}}, full.Info)
	assert.Equal(t, "abc123", readView(t, st, 13, "TST", "abc123").Slice)
}

// §10.1-22: progress is durable; an interrupted processing (view not
// complete) is redone by the next scan, a complete one is not.
func TestScanResumes(t *testing.T) {
	obs := &recObserver{}
	st, p := newTest(t, Options{NoPNG: true, Observer: obs}, "TST")
	ctx := context.Background()
	put(t, st, 14, "TST", t0, tstSnapshot(1))
	s2 := put(t, st, 14, "TST", t0.Add(time.Minute), tstSnapshot(2))
	require.NoError(t, p.Scan(ctx))
	v := readView(t, st, 14, "TST", "")
	assert.Equal(t, s2.Time.Unix(), v.Snapshot.Time, "only the newest snapshot is processed")
	assert.Equal(t, 1, obs.cycles)

	puts := st.puts
	require.NoError(t, p.Scan(ctx))
	assert.Equal(t, puts, st.puts, "up to date: nothing rewritten")

	// Simulate a crash between the JSON/hints pass and the end.
	v.Complete = false
	require.NoError(t, p.putView(ctx, Target{Run: 14, Subsystem: "TST"}, &v))
	require.False(t, readView(t, st, 14, "TST", "").Complete)
	require.NoError(t, New(st, Options{NoPNG: true, Decode: histtest.GobDecode, Logger: p.opts.Logger}).Scan(ctx))
	assert.True(t, readView(t, st, 14, "TST", "").Complete)
	assert.Greater(t, st.puts, puts+1)

	// Forced reprocessing of one run.
	puts = st.puts
	fp := New(st, Options{NoPNG: true, Decode: histtest.GobDecode, Logger: p.opts.Logger, Force: Force{Runs: []int{14}}})
	require.NoError(t, fp.Scan(ctx))
	assert.Greater(t, st.puts, puts)
	puts = st.puts
	fp = New(st, Options{NoPNG: true, Decode: histtest.GobDecode, Logger: p.opts.Logger, Force: Force{Runs: []int{15}}})
	require.NoError(t, fp.Scan(ctx))
	assert.Equal(t, puts, st.puts)
}

func TestForceSelects(t *testing.T) {
	tests := []struct {
		f    Force
		run  int
		sys  string
		want bool
	}{
		{Force{}, 1, "EMC", false},
		{Force{All: true}, 1, "EMC", true},
		{Force{Runs: []int{1}}, 1, "EMC", true},
		{Force{Runs: []int{1}}, 2, "EMC", false},
		{Force{Subsystems: []string{"EMC"}}, 2, "EMC", true},
		{Force{Subsystems: []string{"EMC"}}, 2, "TPC", false},
		{Force{Runs: []int{2}, Subsystems: []string{"EMC"}}, 2, "EMC", true},
		{Force{Runs: []int{2}, Subsystems: []string{"EMC"}}, 3, "EMC", false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.f.selects(tc.run, tc.sys), "%+v %d %s", tc.f, tc.run, tc.sys)
	}
}

func TestQueueCoalesces(t *testing.T) {
	q := queue{}
	mk := func(run int, sys string, sec int) overwatch.SnapshotInfo {
		return overwatch.SnapshotInfo{SnapshotRef: overwatch.SnapshotRef{Run: run, Subsystem: sys, Time: t0.Add(time.Duration(sec) * time.Second)}}
	}
	for i := 0; i < 10; i++ {
		q.add(mk(1, "EMC", i), nil)
	}
	q.add(mk(1, "EMC", 3), nil) // late announcement of an old one
	q.add(mk(1, "HLT", 1), []string{"TPC"})
	q.add(mk(1, "HLT", 1), []string{"HLT"})
	require.Len(t, q, 2)
	w, _ := q.pop()
	assert.Equal(t, t0.Add(9*time.Second), w.snap.Time, "only the newest is processed")
	assert.Nil(t, w.subs)
	w, _ = q.pop()
	assert.Equal(t, map[string]bool{"TPC": true, "HLT": true}, w.subs)
	_, ok := q.pop()
	assert.False(t, ok)
}

// Corrupted snapshots are quarantined with a log line; the others continue
// and the scan does not retry them.
func TestCorruptQuarantined(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	st, p := newTest(t, Options{NoPNG: true, Logger: slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))}, "TST")
	ctx := context.Background()
	good := put(t, st, 15, "TST", t0, tstSnapshot(1))
	bad := put(t, st, 15, "TST", t0.Add(time.Minute), []byte("not a ROOT file"))
	require.NoError(t, p.Process(ctx, good))
	err := p.Process(ctx, bad)
	require.ErrorIs(t, err, overwatch.ErrCorrupt)
	mu.Lock()
	assert.Contains(t, logs.String(), "corrupted snapshot quarantined")
	mu.Unlock()
	assert.Equal(t, []overwatch.SnapshotRef{bad.SnapshotRef}, st.quar)
	v := readView(t, st, 15, "TST", "")
	assert.Equal(t, good.Time.Unix(), v.Snapshot.Time, "the good outputs stay")
	assert.Equal(t, []overwatch.SnapshotDoc{snapDoc(bad)}, v.Skipped)
	puts := st.puts
	require.NoError(t, p.Scan(ctx))
	assert.Equal(t, puts, st.puts, "not retried")
	// A later good snapshot is processed normally.
	require.NoError(t, p.Process(ctx, put(t, st, 15, "TST", t0.Add(2*time.Minute), tstSnapshot(3))))
	assert.Equal(t, 300.0, readView(t, st, 15, "TST", "").NEvents)
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Snapshots that record no accumulation (older stores) follow
// Options.DefaultAccumulation.
func TestDefaultResetSumsUnsetSnapshots(t *testing.T) {
	st, p := newTest(t, Options{NoPNG: true, DefaultAccumulation: overwatch.Reset}, "TST")
	ctx := context.Background()
	put(t, st, 16, "TST", t0, histtest.GobEncode(events("TSTEvents", 10), h1("TSTEnergyC", 4, 1)))
	s := put(t, st, 16, "TST", t0.Add(time.Minute), histtest.GobEncode(events("TSTEvents", 5), h1("TSTEnergyC", 4, 1)))
	require.NoError(t, p.Process(ctx, s))
	v := readView(t, st, 16, "TST", "")
	assert.Equal(t, 15.0, v.NEvents)
}

// The Run loop processes announced snapshots as they come and ends each
// burst with EndCycle.
func TestRunLoop(t *testing.T) {
	obs := &recObserver{}
	st, p := newTest(t, Options{NoPNG: true, Observer: obs, ScanInterval: 50 * time.Millisecond}, "TST")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	var last overwatch.SnapshotInfo
	for k := 1; k <= 5; k++ {
		last = put(t, st, 17, "TST", t0.Add(time.Duration(k)*time.Minute), tstSnapshot(k))
	}
	require.Eventually(t, func() bool {
		b := st.output(overwatch.ViewRef(17, "TST", ""))
		var v overwatch.ViewDoc
		return b != nil && json.Unmarshal(b, &v) == nil && v.Complete && v.Snapshot.Time == last.Time.Unix()
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	obs.mu.Lock()
	assert.GreaterOrEqual(t, obs.cycles, 1)
	obs.mu.Unlock()
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
