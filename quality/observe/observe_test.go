package observe_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/trending"
)

// qat is a detector declaring a check through the Checker hook.
type qat struct{}

func (qat) Subsystem() string { return "QAT" }

func (qat) Checks(v *ow.View) []ow.CheckSpec {
	return []ow.CheckSpec{{Name: "towers", Hist: "map*", Check: "DeadChannels", Params: map[string]any{"Radius": 2}}}
}

func init() { ow.RegisterDetector(qat{}) }

// channelMap is a 20-channel map of 100 counts, with the given channels
// dead.
func channelMap(t *testing.T, dead ...int) *ow.Hist {
	h := ow.MustNewHist(ow.ClassTH1D, "mapA", "", ow.NewAxis(20, 0, 20))
	for i := 1; i <= 20; i++ {
		require.NoError(t, h.SetBinContent(i, 100))
	}
	for _, d := range dead {
		require.NoError(t, h.SetBinContent(d, 0))
	}
	h.Entries = 2000
	return h
}

func TestObserverChecksFlagsAndAlarms(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"QAT"}, Logger: log, NoSyncOutputs: true})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	tm, err := trending.NewManager(st, trending.Config{}, nil, log)
	require.NoError(t, err)
	t.Cleanup(tm.WaitOutputs)

	ob, err := observe.New(observe.Options{
		Configs: map[string]quality.Config{"QAT": {Checks: []ow.CheckSpec{{Hist: "mapA", Check: "MinEntries", Params: map[string]any{"Min": 100}}}}},
		Next:    tm, Alarms: tm, AlarmAfter: 3,
	})
	require.NoError(t, err)

	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	snap := func(i int) ow.SnapshotInfo {
		return ow.SnapshotInfo{SnapshotRef: ow.SnapshotRef{Run: 42, Subsystem: "QAT", Time: t0.Add(time.Duration(i) * time.Minute)}}
	}
	alarm := func() (ow.AlarmRecord, bool) {
		rec, err := st.Alarm(ctx, trending.AlarmID("QAT", observe.AlarmTrend, observe.AlarmName))
		if err != nil {
			return rec, false
		}
		return rec, true
	}
	// Snapshots 0..5: good, bad ×4 (a dead region appears), good again.
	deadAt := map[int]bool{1: true, 2: true, 3: true, 4: true}
	for i := 0; i <= 5; i++ {
		h := channelMap(t)
		if deadAt[i] {
			h = channelMap(t, 5, 6, 7)
		}
		info, err := ob.Observe(ctx, "QAT", snap(i), 42, map[string]*ow.Hist{"mapA": h, "other": channelMap(t)})
		require.NoError(t, err)
		ob.EndCycle(ctx)
		require.Len(t, info["mapA"], 2, "one line per check")
		assert.Equal(t, "Quality towers", info["mapA"][0].Label)
		assert.Equal(t, "Quality MinEntries", info["mapA"][1].Label)
		assert.Contains(t, info["mapA"][1].Value, "good: 2000 entries")
		assert.Empty(t, info["other"], "no check applies to other")
		sum, ok := ob.Summary("QAT")
		require.True(t, ok)
		rec, exists := alarm()
		switch {
		case !deadAt[i]:
			assert.Equal(t, ow.QualityGood, sum.Quality, "snapshot %d", i)
			assert.Contains(t, info["mapA"][0].Value, "good: 0 dead channels of 20 judged")
		default:
			assert.Equal(t, ow.QualityBad, sum.Quality, "snapshot %d", i)
			assert.Contains(t, info["mapA"][0].Value, "bad: 3 dead channels of 20 judged")
			assert.Equal(t, i, sum.BadStreak)
		}
		switch i {
		case 0, 1, 2:
			assert.False(t, exists, "snapshot %d: no alarm before 3 consecutive Bad", i)
		case 3, 4:
			require.True(t, exists)
			assert.Equal(t, ow.AlarmFiring, rec.State, "snapshot %d", i)
			assert.Equal(t, snap(3).Time, rec.FiredAt.UTC())
			assert.Contains(t, rec.Message, "QAT quality Bad for ")
			assert.Contains(t, rec.Message, "mapA towers: 3 dead channels")
		case 5:
			require.True(t, exists)
			assert.Equal(t, ow.AlarmResolved, rec.State)
			assert.Equal(t, snap(5).Time, rec.ResolvedAt.UTC())
		}
	}

	// Reprocessing an old snapshot changes nothing.
	_, err = ob.Observe(ctx, "QAT", snap(2), 42, map[string]*ow.Hist{"mapA": channelMap(t, 5)})
	require.NoError(t, err)
	rec, _ := alarm()
	assert.Equal(t, ow.AlarmResolved, rec.State)

	// The time-based flags of the run, exact to the snapshot times: before
	// the first snapshot and after the last nothing is known.
	flags := ob.Flags("QAT", 42, t0.Add(-time.Minute), t0.Add(10*time.Minute))
	require.Len(t, flags, 4)
	assert.Equal(t, quality.Flag{Start: t0.Add(-time.Minute), End: t0, Unknown: true}, flags[0],
		"a snapshot's verdict covers the time since the previous snapshot; the first covers none")
	assert.Equal(t, t0, flags[1].Start)
	assert.Equal(t, t0.Add(4*time.Minute), flags[1].End, "snapshots 1-4 were Bad: their stretches merge")
	assert.Equal(t, ow.QualityBad, flags[1].Quality)
	assert.Equal(t, quality.Flag{Start: t0.Add(4 * time.Minute), End: t0.Add(5 * time.Minute), Quality: ow.QualityGood,
		Reasons: []string{"worst case of 2 good, 0 medium, 0 bad, 0 not judged"}}, flags[2])
	assert.Equal(t, quality.Flag{Start: t0.Add(5 * time.Minute), End: t0.Add(10 * time.Minute), Unknown: true}, flags[3])
}

func TestObserverRejectsBadConfig(t *testing.T) {
	_, err := observe.New(observe.Options{Configs: map[string]quality.Config{"QAT": {Checks: []ow.CheckSpec{{Hist: "x", Check: "Nope"}}}}})
	require.ErrorIs(t, err, quality.ErrConfig)
}

func TestConfigReplacesTheDetectorsCheck(t *testing.T) {
	ctx := context.Background()
	// The detector's "towers" check (DeadChannels) is replaced by a
	// configured one of the same name that tolerates 3 dead channels.
	ob, err := observe.New(observe.Options{Configs: map[string]quality.Config{"QAT": {Checks: []ow.CheckSpec{
		{Name: "towers", Hist: "map*", Check: "DeadChannels", Params: map[string]any{"NBinsGreen": 3, "NBinsRed": 10}},
	}}}})
	require.NoError(t, err)
	info, err := ob.Observe(ctx, "QAT", ow.SnapshotInfo{SnapshotRef: ow.SnapshotRef{Run: 1, Subsystem: "QAT", Time: time.Unix(100, 0)}}, 1,
		map[string]*ow.Hist{"mapA": channelMap(t, 5, 6, 7)})
	require.NoError(t, err)
	require.Len(t, info["mapA"], 1)
	assert.Equal(t, "good: 3 dead channels of 20 judged (Good up to 3, Bad from 10)", info["mapA"][0].Value)
}
