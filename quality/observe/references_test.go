package observe_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/store"
)

// spectrum is a 10-bin spectrum with a slope; shifted moves its mass.
func spectrum(t *testing.T, shifted bool) *ow.Hist {
	h := ow.MustNewHist(ow.ClassTH1D, "spec", "", ow.NewAxis(10, 0, 10))
	for i := 1; i <= 10; i++ {
		v := float64(1000 - 80*i)
		if shifted {
			v = float64(200 + 80*i)
		}
		require.NoError(t, h.SetBinContent(i, v))
	}
	h.Entries = 5600
	return h
}

// TestObserverReferencesAndStoredFlags: a comparing check gets the
// histogram of the reference run declared for the run (a document of kind
// reference, resolved by range) from the store's processed outputs, names
// it in the information panel, and the observer stores the run's flags as
// a document of kind flags.
func TestObserverReferencesAndStoredFlags(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"QAT"}, Logger: log, NoSyncOutputs: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })

	// Reference run 7's processed spectrum, declared for runs 40-50.
	js, err := ow.MarshalJSON(spectrum(t, false))
	require.NoError(t, err)
	require.NoError(t, st.PutOutput(ctx, ow.OutputRef{Run: 7, Subsystem: "QAT", Name: "spec", Kind: ow.OutputJSON}, js))
	d, err := quality.Reference{Subsystem: "QAT", First: 40, Last: 50, Run: 7, Author: "expert"}.Document()
	require.NoError(t, err)
	_, err = st.PutDocument(ctx, d, 0)
	require.NoError(t, err)

	refs := observe.NewStoreReferences(st, st, time.Hour)
	ob, err := observe.New(observe.Options{
		Configs:    map[string]quality.Config{"QAT": {Checks: []ow.CheckSpec{{Hist: "spec", Check: "Chi2Test"}}}},
		References: refs, Flags: st,
	})
	require.NoError(t, err)
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	observeAt := func(run, i int, shifted bool) map[string][]ow.InfoItem {
		snap := ow.SnapshotInfo{SnapshotRef: ow.SnapshotRef{Run: run, Subsystem: "QAT", Time: t0.Add(time.Duration(i) * time.Minute)}}
		info, err := ob.Observe(ctx, "QAT", snap, run, map[string]*ow.Hist{"spec": spectrum(t, shifted)})
		require.NoError(t, err)
		return info
	}
	text := func(info map[string][]ow.InfoItem) string {
		var b strings.Builder
		for _, l := range info["spec"] {
			b.WriteString(l.Label + "=" + l.Value + "\n")
		}
		return b.String()
	}

	// Run 42: compatible with the reference, then not.
	info := observeAt(42, 0, false)
	assert.Contains(t, text(info), "Reference=run 7 (QAT/40-50)")
	assert.Contains(t, text(info), "Quality Chi2Test=good")
	observeAt(42, 1, false)
	info = observeAt(42, 2, true)
	assert.Contains(t, text(info), "Quality Chi2Test=bad")
	observeAt(42, 3, true)

	doc, err := st.Document(ctx, quality.FlagsKind, "42/QAT", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(4), doc.Version, "one version per snapshot")
	f, err := quality.RunFlagsFromDocument(doc)
	require.NoError(t, err)
	assert.Equal(t, ow.QualityBad, f.Quality)
	require.Len(t, f.Flags, 2)
	assert.Equal(t, ow.QualityGood, f.Flags[0].Quality)
	assert.Equal(t, t0, f.Flags[0].Start)
	assert.Equal(t, t0.Add(time.Minute), f.Flags[0].End)
	assert.Equal(t, ow.QualityBad, f.Flags[1].Quality)
	assert.Equal(t, t0.Add(3*time.Minute), f.Flags[1].End)

	// Run 60: no declaration covers it; run 45 is compared with run 7 too,
	// but the reference of a run that is itself the reference is none.
	info = observeAt(60, 0, false)
	assert.Contains(t, text(info), "Reference=no reference run declared for run 60")
	assert.Contains(t, text(info), "Quality Chi2Test=null: no reference histogram")
	d7, err := quality.Reference{Subsystem: "QAT", First: 7, Last: 7, Run: 7}.Document()
	require.NoError(t, err)
	_, err = st.PutDocument(ctx, d7, 0)
	require.NoError(t, err)
	refs2 := observe.NewStoreReferences(st, st, time.Hour)
	h, about, err := refs2.Reference(ctx, "QAT", 7, "spec")
	require.NoError(t, err)
	assert.Nil(t, h)
	assert.Contains(t, about, "its own reference")
	h, about, err = refs2.Reference(ctx, "QAT", 45, "nothere")
	require.NoError(t, err)
	assert.Nil(t, h)
	assert.Contains(t, about, "has no processed nothere")
}

// memFlags is a FlagStore whose first writes conflict, as when another
// process writes the same document.
type memFlags struct {
	mu       sync.Mutex
	doc      ow.Document
	conflict int
}

func (m *memFlags) Document(_ context.Context, kind, name string, _ int64) (ow.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.doc.Version == 0 {
		return ow.Document{}, ow.ErrNotFound
	}
	return m.doc, nil
}

func (m *memFlags) PutDocument(_ context.Context, d ow.Document, prev int64) (ow.Document, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.conflict > 0 {
		m.conflict--
		// Another writer added a snapshot meanwhile.
		f := &quality.RunFlags{Run: 42, Subsystem: "QAT"}
		if m.doc.Version > 0 {
			old, err := quality.RunFlagsFromDocument(m.doc)
			if err != nil {
				return ow.Document{}, err
			}
			f = old
		}
		f.Add(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), ow.QualityGood, "other writer")
		nd, err := f.Document()
		if err != nil {
			return ow.Document{}, err
		}
		nd.Version = m.doc.Version + 1
		m.doc = nd
	}
	if prev != m.doc.Version {
		return ow.Document{}, ow.ErrVersionConflict
	}
	d.Version = prev + 1
	m.doc = d
	return d, nil
}

func TestObserverFlagsVersionConflict(t *testing.T) {
	fs := &memFlags{conflict: 1}
	ob, err := observe.New(observe.Options{
		Configs: map[string]quality.Config{"QAT": {Checks: []ow.CheckSpec{{Hist: "mapA", Check: "MinEntries", Params: map[string]any{"Min": 100}}}}},
		Flags:   fs,
	})
	require.NoError(t, err)
	snap := ow.SnapshotInfo{SnapshotRef: ow.SnapshotRef{Run: 42, Subsystem: "QAT", Time: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}}
	_, err = ob.Observe(context.Background(), "QAT", snap, 42, map[string]*ow.Hist{"mapA": channelMap(t)})
	require.NoError(t, err)
	f, err := quality.RunFlagsFromDocument(fs.doc)
	require.NoError(t, err)
	require.Len(t, f.Snapshots, 2, "the other writer's snapshot is kept, ours added after the conflict")
	assert.Equal(t, int64(2), fs.doc.Version)
}

// TestObserverBadChannels: the dead channels found are proposed in the
// subsystem's bad-channel list (stored once, not again when unchanged);
// once an expert confirms them they are excluded from the checks.
func TestObserverBadChannels(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"QAT"}, Logger: log, NoSyncOutputs: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ob, err := observe.New(observe.Options{BadChannels: st, Trends: st})
	require.NoError(t, err)
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(i int) ow.SnapshotInfo {
		return ow.SnapshotInfo{SnapshotRef: ow.SnapshotRef{Run: 42, Subsystem: "QAT", Time: t0.Add(time.Duration(i) * time.Minute)}}
	}
	towers := func(info map[string][]ow.InfoItem) string {
		for _, l := range info["mapA"] {
			if l.Label == observe.InfoLabel+"towers" {
				return l.Value
			}
		}
		return ""
	}
	info, err := ob.Observe(ctx, "QAT", at(0), 42, map[string]*ow.Hist{"mapA": channelMap(t, 5, 6, 7)})
	require.NoError(t, err)
	assert.Contains(t, towers(info), "3 dead channels")
	_, err = ob.Observe(ctx, "QAT", at(1), 42, map[string]*ow.Hist{"mapA": channelMap(t, 5, 6, 7)})
	require.NoError(t, err)
	hist, err := st.DocumentHistory(ctx, quality.BadChannelsKind, "QAT")
	require.NoError(t, err)
	require.Len(t, hist, 1, "the same proposals are not written again")
	b, err := quality.BadChannelsFromDocument(hist[0])
	require.NoError(t, err)
	require.Len(t, b.Channels, 3)
	assert.Equal(t, quality.ChannelProposed, b.Channels[0].State)
	assert.Equal(t, 5, b.Channels[0].Cell)
	assert.Equal(t, 4.5, b.Channels[0].X)

	// An expert confirms them (as the web app does): they are masked.
	for _, c := range []int{5, 6, 7} {
		require.NoError(t, b.Decide("mapA", c, quality.ChannelConfirmed, "eric", t0))
	}
	d, err := b.Document("eric", "")
	require.NoError(t, err)
	_, err = st.PutDocument(ctx, d, 1)
	require.NoError(t, err)
	info, err = ob.Observe(ctx, "QAT", at(2), 42, map[string]*ow.Hist{"mapA": channelMap(t, 5, 6, 7)})
	require.NoError(t, err)
	assert.Contains(t, towers(info), "good: 0 dead channels")
	assert.Contains(t, towers(info), "3 known bad channels excluded")
	var masked string
	for _, l := range info["mapA"] {
		if l.Label == observe.BadChannelsLabel {
			masked = l.Value
		}
	}
	assert.Equal(t, "3 confirmed bad channels masked and excluded", masked)
	// A new dead channel is proposed next to the confirmed ones.
	_, err = ob.Observe(ctx, "QAT", at(3), 42, map[string]*ow.Hist{"mapA": channelMap(t, 5, 6, 7, 15)})
	require.NoError(t, err)
	d, err = st.Document(ctx, quality.BadChannelsKind, "QAT", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(3), d.Version)
	b, err = quality.BadChannelsFromDocument(d)
	require.NoError(t, err)
	c, p := b.Count()
	assert.Equal(t, [2]int{3, 1}, [2]int{c, p})

	// The counts are trends, one point per snapshot.
	pts, err := st.TrendPoints(ctx, ow.TrendQuery{Subsystem: "QAT", Trend: observe.BadChannelsTrend})
	require.NoError(t, err)
	var confirmed []float64
	for _, pt := range pts {
		confirmed = append(confirmed, pt.Value)
	}
	assert.Equal(t, []float64{0, 0, 3, 3}, confirmed)
	pts, err = st.TrendPoints(ctx, ow.TrendQuery{Subsystem: "QAT", Trend: observe.ProposedChannelsTrend})
	require.NoError(t, err)
	var proposed []float64
	for _, pt := range pts {
		proposed = append(proposed, pt.Value)
	}
	assert.Equal(t, []float64{3, 3, 0, 1}, proposed)
}
