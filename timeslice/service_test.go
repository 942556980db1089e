package timeslice_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"log/slog"
	"sync"
	"testing"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slcDetector declares options, to validate slice requests against.
type slcDetector struct{}

func (slcDetector) Subsystem() string { return "SLC" }
func (slcDetector) Options() []ow.OptionSpec {
	return []ow.OptionSpec{
		{Name: "scaleHists", Type: ow.OptionBool, Default: true},
		{Name: "hotChannelThreshold", Type: ow.OptionInt, Default: int64(0), HasRange: true, Min: 0, Max: 1000},
	}
}

func init() { ow.RegisterDetector(slcDetector{}) }

// recRenderer wraps the processor and remembers what it was given.
type recRenderer struct {
	p     *processing.Processor
	mu    sync.Mutex
	files map[string]*ow.File
	calls int
}

func (r *recRenderer) RenderSlice(ctx context.Context, f *ow.File, req timeslice.RenderRequest) (timeslice.Rendered, error) {
	r.mu.Lock()
	r.files[req.Key] = f
	r.calls++
	r.mu.Unlock()
	return r.p.RenderSlice(ctx, f, req)
}

// snapshot k of a cumulative run: the counter holds 10*k, events 100*k.
func snapshot(sys string, k int) []byte {
	c := ow.MustNewHist(ow.ClassTH1D, sys+"Counter", "", ow.NewAxis(1, 0, 1))
	c.Contents[1] = float64(10 * k)
	c.Entries = float64(10 * k)
	ev := ow.MustNewHist(ow.ClassTH1D, sys+"Events", "", ow.NewAxis(2, 0, 2))
	ev.Contents[1] = float64(100 * k)
	ev.Entries = float64(100 * k)
	return histtest.GobEncode(c, ev)
}

type fixture struct {
	st    *store.Store
	svc   *timeslice.Service
	rr    *recRenderer
	start time.Time
}

// newFixture stores the worked example of the original specification
// (§4.7): snapshots at start + 0, 62, 121, 180 and 241 s, i.e. minutes 0..4.
func newFixture(t *testing.T, sys string, reset bool) *fixture {
	t.Helper()
	def := ow.Cumulative
	if reset {
		def = ow.Reset
	}
	return newFixtureWith(t, sys, ow.AccumulationUnset, def)
}

// newFixtureWith stores the run's snapshots recording acc (unset: as an
// older store did) and gives the service def as its default.
func newFixtureWith(t *testing.T, sys string, acc, def ow.Accumulation) *fixture {
	t.Helper()
	st := openStore(t, sys, "HLT")
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for k, off := range []int{0, 62, 121, 180, 241} {
		putSnapshot(t, st, ow.SnapshotMeta{Run: 300, Subsystem: sys, Time: start.Add(time.Duration(off) * time.Second), Accumulation: acc}, snapshot(sys, k+1))
	}
	rr := &recRenderer{p: processing.New(st, processing.Options{Logger: quietLog, NoPNG: true, Decode: histtest.GobDecode}), files: map[string]*ow.File{}}
	svc := timeslice.NewService(st, rr, timeslice.ServiceOptions{Logger: quietLog, Decode: histtest.GobDecode, DefaultAccumulation: def})
	t.Cleanup(func() { svc.Close() })
	return &fixture{st: st, svc: svc, rr: rr, start: start}
}

// quietLog discards what the stores, processors and services of these
// tests log.
var quietLog = slog.New(slog.DiscardHandler)

// openStore opens a store in a temporary directory for subsystems sys
// (quiet, outputs not synced); it is closed when tb ends.
func openStore(tb testing.TB, sys ...string) *store.Store {
	tb.Helper()
	st, err := store.Open(tb.TempDir(), store.Options{Subsystems: sys, Logger: quietLog, NoSyncOutputs: true})
	require.NoError(tb, err)
	tb.Cleanup(func() { st.Close() })
	return st
}

// putSnapshot stores data as the snapshot m describes (compressed, from
// origin "test").
func putSnapshot(tb testing.TB, st *store.Store, m ow.SnapshotMeta, data []byte) ow.SnapshotInfo {
	tb.Helper()
	m.Mode, m.Origin = ow.ModeCompress, "test"
	info, err := st.PutSnapshot(context.Background(), m, bytes.NewReader(data))
	require.NoError(tb, err)
	return info
}

// runSlice submits req to svc and waits for it: the slice must be done.
func runSlice(t *testing.T, svc *timeslice.Service, req timeslice.Request) (string, timeslice.Status) {
	t.Helper()
	ctx := context.Background()
	key, err := svc.Submit(ctx, req)
	require.NoError(t, err)
	st, err := svc.Wait(ctx, req.Run, req.Subsystem, key)
	require.NoError(t, err)
	require.Equal(t, timeslice.StateDone, st.State, st.Error)
	return key, st
}

func (f *fixture) run(t *testing.T, req timeslice.Request) (string, timeslice.Status) {
	t.Helper()
	return runSlice(t, f.svc, req)
}

func (f *fixture) counter(t *testing.T, key, sys string) float64 {
	f.rr.mu.Lock()
	defer f.rr.mu.Unlock()
	h := f.rr.files[key].Hist(sys + "Counter")
	require.NotNil(t, h)
	return h.Contents[1]
}

// §10.1-4: the window [a, b] is snapshot(last <= b) - snapshot(last < a);
// nothing is subtracted at the start of the run; a window holding a single
// snapshot is not empty.
func TestServiceWindows(t *testing.T) {
	f := newFixture(t, "SLC", false)
	tests := []struct {
		name     string
		from, to float64
		counter  float64 // 10 per snapshot
		nEvents  float64
		earlier  bool
	}{
		{"minutes 1-3", 1, 3, 40 - 10, 300, true},
		{"from the start", 0, 2, 30, 300, false},
		{"single snapshot", 2, 2, 30 - 20, 100, true},
		{"whole run", 0, 4, 50, 500, false},
		{"beyond the end", 3, 99, 50 - 30, 200, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key, st := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: tc.from, ToMinute: tc.to})
			assert.Equal(t, tc.counter, f.counter(t, key, "SLC"))
			assert.Equal(t, tc.nEvents, st.Record.NEvents, "nEvents of the slice itself (§10.1-2)")
			assert.Equal(t, tc.earlier, st.Record.Earlier != nil)
			// The view of the slice is under its key.
			b, err := bundle.NewOutputs(f.st).Output(context.Background(), ow.ViewRef(300, "SLC", key))
			require.NoError(t, err)
			var v ow.ViewDoc
			require.NoError(t, json.Unmarshal(b, &v))
			assert.Equal(t, key, v.Slice)
			assert.Equal(t, tc.nEvents, v.NEvents)
		})
	}
	// Unix-time windows select the same snapshots, hence the same key.
	k1, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})
	k2, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromUnix: f.start.Add(50 * time.Second).Unix(), ToUnix: f.start.Add(200 * time.Second).Unix()})
	assert.Equal(t, k1, k2)
}

// Equal requests share one result; options are part of the key (original
// issue #25), in canonical form.
func TestServiceCache(t *testing.T) {
	f := newFixture(t, "SLC", false)
	k1, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})
	k2, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 0.9, ToMinute: 3.2, Options: map[string]string{"scaleHists": "true"}})
	assert.Equal(t, k1, k2, "same snapshots, same (default) options")
	assert.Equal(t, 1, f.rr.calls, "computed once")
	k3, st := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3, Options: map[string]string{"scaleHists": "off"}})
	assert.NotEqual(t, k1, k3)
	assert.Equal(t, `{"hotChannelThreshold":0,"scaleHists":false}`, st.Record.Options)
	assert.Equal(t, 2, f.rr.calls)
	assert.Len(t, k1, 64)
}

// §10.1-5: subsystems that declare no options (HLT, TPC) get slices; an
// undeclared option is an error naming the declared ones.
func TestServiceOptionsValidation(t *testing.T) {
	f := newFixture(t, "SLC", false)
	ctx := context.Background()
	putSnapshot(t, f.st, ow.SnapshotMeta{Run: 300, Subsystem: "HLT", Time: f.start}, snapshot("HLT", 1))
	putSnapshot(t, f.st, ow.SnapshotMeta{Run: 300, Subsystem: "HLT", Time: f.start.Add(time.Minute)}, snapshot("HLT", 2))
	key, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "HLT", FromMinute: 1, ToMinute: 1})
	assert.Equal(t, 10.0, f.counter(t, key, "HLT"))

	bad := []struct {
		name string
		req  timeslice.Request
		msg  string
	}{
		{"unknown option", timeslice.Request{Run: 300, Subsystem: "SLC", ToMinute: 2, Options: map[string]string{"nope": "1"}}, "declared: scaleHists, hotChannelThreshold"},
		{"option out of range", timeslice.Request{Run: 300, Subsystem: "SLC", ToMinute: 2, Options: map[string]string{"hotChannelThreshold": "5000"}}, "outside"},
		{"HLT has no options", timeslice.Request{Run: 300, Subsystem: "HLT", ToMinute: 2, Options: map[string]string{"scaleHists": "1"}}, "declares no options"},
		{"unknown run", timeslice.Request{Run: 999, Subsystem: "SLC", ToMinute: 2}, "run 999"},
		{"unknown subsystem", timeslice.Request{Run: 300, Subsystem: "EMC", ToMinute: 2}, "no subsystem"},
		{"reversed window", timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 3, ToMinute: 1}, "window"},
		{"negative window", timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: -1, ToMinute: 1}, "window"},
		{"empty window", timeslice.Request{Run: 300, Subsystem: "SLC", FromUnix: 1, ToUnix: 2}, "no snapshot"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Submit(ctx, tc.req)
			require.ErrorIs(t, err, timeslice.ErrInvalidRequest)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
}

// A permalink is recomputed after a restart from the stored request, also
// when the outputs were deleted; a finished slice is not recomputed.
func TestServicePermalinkAfterRestart(t *testing.T) {
	f := newFixture(t, "SLC", false)
	ctx := context.Background()
	key, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})

	// A new service (restart) knows the finished slice from its record.
	rr2 := &recRenderer{p: f.rr.p, files: map[string]*ow.File{}}
	svc2 := timeslice.NewService(f.st, rr2, timeslice.ServiceOptions{Decode: histtest.GobDecode, Logger: quietLog})
	defer svc2.Close()
	st, err := svc2.Status(ctx, 300, "SLC", key)
	require.NoError(t, err)
	assert.Equal(t, timeslice.StateDone, st.State)
	assert.Equal(t, 0, rr2.calls)

	// The record says pending (the process died while computing): the
	// slice is recomputed from its request.
	var rec timeslice.Record
	b, err := f.st.Output(ctx, ow.OutputRef{Run: 300, Subsystem: "SLC", Slice: key, Kind: ow.OutputSlice})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rec))
	rec.State = timeslice.StatePending
	b, _ = json.Marshal(rec)
	require.NoError(t, f.st.PutOutput(ctx, ow.OutputRef{Run: 300, Subsystem: "SLC", Slice: key, Kind: ow.OutputSlice}, b))
	svc3 := timeslice.NewService(f.st, rr2, timeslice.ServiceOptions{Decode: histtest.GobDecode, Logger: quietLog})
	defer svc3.Close()
	st, err = svc3.Wait(ctx, 300, "SLC", key)
	require.NoError(t, err)
	assert.Equal(t, timeslice.StateDone, st.State)
	assert.Equal(t, 1, rr2.calls)
	assert.Equal(t, 30.0, rr2.files[key].Hist("SLCCounter").Contents[1])

	_, err = svc3.Status(ctx, 300, "SLC", "0000")
	require.ErrorIs(t, err, ow.ErrNotFound)
}

// Snapshots recorded as reset are summed by a service with no setting;
// snapshots recorded as cumulative are differenced whatever the default.
func TestServiceRecordedAccumulation(t *testing.T) {
	f := newFixtureWith(t, "SLC", ow.Reset, ow.AccumulationUnset)
	key, st := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})
	assert.Equal(t, 20.0+30+40, f.counter(t, key, "SLC"))
	assert.True(t, st.Record.ResetMode)

	g := newFixtureWith(t, "SLC", ow.Cumulative, ow.Reset)
	key, st = g.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})
	assert.False(t, st.Record.ResetMode)
	cum := newFixture(t, "SLC", false)
	want, _ := cum.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})
	assert.Equal(t, cum.counter(t, want, "SLC"), g.counter(t, key, "SLC"))
}

// Snapshots of older stores (no accumulation recorded) follow the
// service's default: reset, a slice is the sum of the window's snapshots.
func TestServiceResetMode(t *testing.T) {
	f := newFixture(t, "SLC", true)
	key, st := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})
	assert.Equal(t, 20.0+30+40, f.counter(t, key, "SLC"))
	assert.True(t, st.Record.ResetMode)
}

// A slice never touches the full run's outputs (§10.1-21, §10.1-26).
func TestServiceLeavesFullRunAlone(t *testing.T) {
	f := newFixture(t, "SLC", false)
	ctx := context.Background()
	snaps, err := f.st.Snapshots(ctx, 300, "SLC")
	require.NoError(t, err)
	require.NoError(t, f.rr.p.Process(ctx, snaps[len(snaps)-1]))
	full := ow.ViewRef(300, "SLC", "")
	before, err := bundle.NewOutputs(f.st).Output(ctx, full)
	require.NoError(t, err)
	tBefore, err := bundle.NewOutputs(f.st).OutputTime(ctx, full)
	require.NoError(t, err)
	f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 2})
	after, err := bundle.NewOutputs(f.st).Output(ctx, full)
	require.NoError(t, err)
	tAfter, err := bundle.NewOutputs(f.st).OutputTime(ctx, full)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after))
	assert.Equal(t, tBefore, tAfter)
}

func ExampleService() {
	// A service over a store, rendering slices with a processor:
	//
	//	st, _ := store.Open("data", store.Options{})
	//	svc := timeslice.NewService(st, processing.New(st, processing.Options{}), timeslice.ServiceOptions{})
	//	key, err := svc.Submit(ctx, timeslice.Request{Run: 300, Subsystem: "EMC", FromMinute: 1, ToMinute: 3})
	//	status, err := svc.Wait(ctx, 300, "EMC", key)
	key := timeslice.Key(300, "EMC", ow.SnapshotRef{Run: 300, Subsystem: "EMC", Time: time.Unix(1700000180, 0)},
		&ow.SnapshotRef{Run: 300, Subsystem: "EMC", Time: time.Unix(1700000000, 0)}, ow.Values{"scaleHists": true}, false, nil)
	fmt.Println(len(key))
	// Output: 64
}

// FuzzSliceRecord feeds arbitrary bytes as a stored slice record (a
// permalink after a restart): Status never panics and never accepts a
// record that does not hold the key asked for.
func FuzzSliceRecord(f *testing.F) {
	f.Add([]byte(`{"key":"k1","request":{"run":300,"subsystem":"SLC","toMinute":2},"run":300,"subsystem":"SLC","state":"done"}`))
	f.Add([]byte(`{"key":"k1","request":{"run":300,"subsystem":"SLC","fromMinute":-5},"state":"pending"}`))
	f.Add([]byte(`{"key":"k1","request":{"run":-1,"subsystem":"x y"}}`))
	f.Add([]byte(`[]`))
	st := openStore(f, "SLC")
	ctx := context.Background()
	putSnapshot(f, st, ow.SnapshotMeta{Run: 300, Subsystem: "SLC", Time: time.Unix(1795425240, 0)}, snapshot("SLC", 1))
	p := processing.New(st, processing.Options{Logger: quietLog, NoPNG: true, Decode: histtest.GobDecode})
	f.Fuzz(func(t *testing.T, data []byte) {
		svc := timeslice.NewService(st, p, timeslice.ServiceOptions{Logger: quietLog, Decode: histtest.GobDecode})
		defer svc.Close()
		ref := ow.OutputRef{Run: 300, Subsystem: "SLC", Slice: "k1", Kind: ow.OutputSlice}
		require.NoError(t, st.PutOutput(ctx, ref, data))
		s, err := svc.Status(ctx, 300, "SLC", "k1")
		if err == nil && s.Key != "k1" {
			t.Fatalf("status of another key: %+v", s)
		}
	})
}
