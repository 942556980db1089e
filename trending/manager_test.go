package trending

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
)

// testDetector declares one trend with one alarm for subsystem "TRT".
type testDetector struct{ sys string }

func (d testDetector) Subsystem() string { return d.sys }
func (d testDetector) Trends() []overwatch.TrendDecl {
	return []overwatch.TrendDecl{{
		Name: "meanSignal", Desc: "mean of signal", Hist: "hSignal", Extractor: "mean",
		Alarms: []overwatch.AlarmSpec{{Name: "range", Kind: "BetweenValues", Text: "WARNING", Params: map[string]float64{"minVal": 0, "maxVal": 5}}},
	}, {
		Name: "maxSignal", Desc: "max of signal", Hist: "hSignal", Extractor: "max",
	}}
}

func init() { overwatch.RegisterDetector(testDetector{"TRT"}) }

func signal(t *testing.T, mean float64) *overwatch.Hist {
	h := overwatch.MustNewHist(overwatch.ClassTH1D, "hSignal", "signal", overwatch.NewAxis(100, -50, 50))
	for i := 0; i < 100; i++ {
		require.NoError(t, h.Fill(1, mean+float64(i%5)-2))
	}
	return h
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"TRT"}, Logger: quietLog(), NoSyncOutputs: true})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func snapAt(sec int64) overwatch.SnapshotInfo {
	return overwatch.SnapshotInfo{SnapshotRef: overwatch.SnapshotRef{Run: 7, Subsystem: "TRT", Time: time.Unix(sec, 0)}}
}

func TestManagerRecordsAlarmsLifecycleAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var got [][]Notification
	rec := recorder{fn: func(b []Notification) { got = append(got, b) }}
	d := NewDispatcher([]Notifier{rec}, NotifyConfig{}, quietLog())
	defer d.Close()
	m, err := NewManager(st, Config{Recipients: []string{"shift@example.org"}}, d, quietLog())
	require.NoError(t, err)
	t.Cleanup(m.WaitOutputs)

	means := []float64{1, 2, 9, 9.5, 3, 2}
	for i, mu := range means {
		info, err := m.Observe(ctx, "TRT", snapAt(int64(1000+60*i)), 7, map[string]*overwatch.Hist{"hSignal": signal(t, mu), "other": signal(t, 0)})
		require.NoError(t, err)
		if mu > 5 {
			require.Len(t, info["hSignal"], 1, "step %d", i)
			assert.Equal(t, "AlarmmeanSignal", info["hSignal"][0].Label)
			assert.Contains(t, info["hSignal"][0].Value, "[WARNING]: (BetweenValuesAlarm): value")
		} else {
			assert.Empty(t, info, "step %d: a resolved alarm leaves no text on the panel", i)
		}
		m.EndCycle(ctx)
	}
	require.NoError(t, d.Wait(ctx))
	require.Len(t, got, 1, "the alarm fires once while it stays on, and resolution is not notified by default")
	assert.Equal(t, overwatch.AlarmFiring, got[0][0].State)
	assert.Equal(t, []string{"shift@example.org"}, got[0][0].Recipients)

	pts, err := st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "TRT", Trend: "meanSignal"})
	require.NoError(t, err)
	require.Len(t, pts, len(means), "one point per snapshot")
	assert.InDelta(t, 9.5, pts[3].Value, 1e-9)

	alarms, err := st.Alarms(ctx, overwatch.AlarmQuery{Subsystem: "TRT"})
	require.NoError(t, err)
	require.Len(t, alarms, 1)
	assert.Equal(t, overwatch.AlarmResolved, alarms[0].State)
	assert.Equal(t, int64(1000+120), alarms[0].FiredAt.Unix())
	assert.Equal(t, int64(1000+240), alarms[0].ResolvedAt.Unix())

	// A restart in the middle: a new manager over the same store, the last
	// snapshot processed again and a new one: no loss, no duplicates.
	m2, err := NewManager(st, Config{}, nil, quietLog())
	require.NoError(t, err)
	_, err = m2.Observe(ctx, "TRT", snapAt(1000+60*5), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 2)})
	require.NoError(t, err)
	_, err = m2.Observe(ctx, "TRT", snapAt(1000+60*6), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 2.5)})
	require.NoError(t, err)
	pts, err = st.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "TRT", Trend: "meanSignal"})
	require.NoError(t, err)
	assert.Len(t, pts, len(means)+1)

	m2.EndCycle(ctx)
	m2.WaitOutputs()
	js, err := st.Output(ctx, overwatch.OutputRef{Subsystem: "TRT", Name: "meanSignal", Kind: overwatch.OutputJSON})
	require.NoError(t, err)
	assert.Contains(t, string(js), `"_typename":"TGraphErrors"`)
	png, err := st.Output(ctx, overwatch.OutputRef{Subsystem: "TRT", Name: "meanSignal", Kind: overwatch.OutputPNG})
	require.NoError(t, err)
	assert.Equal(t, "\x89PNG", string(png[:4]))
}

func TestManagerAckAndSilence(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var got [][]Notification
	d := NewDispatcher([]Notifier{recorder{fn: func(b []Notification) { got = append(got, b) }}}, NotifyConfig{}, quietLog())
	defer d.Close()
	m, err := NewManager(st, Config{NotifyResolved: true}, d, quietLog())
	require.NoError(t, err)
	t.Cleanup(m.WaitOutputs)
	_, err = m.Observe(ctx, "TRT", snapAt(1000), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 9)})
	require.NoError(t, err)
	id := AlarmID("TRT", "meanSignal", "range")
	require.NoError(t, m.Ack(ctx, id, "alice", time.Unix(1010, 0)))
	a, err := st.Alarm(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, "alice", a.AckedBy)

	require.NoError(t, m.Silence(ctx, id, "alice", time.Unix(1011, 0), time.Unix(5000, 0)))
	_, err = m.Observe(ctx, "TRT", snapAt(1060), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 1)}) // resolves, silenced
	require.NoError(t, err)
	_, err = m.Observe(ctx, "TRT", snapAt(1120), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 9)}) // fires, silenced
	require.NoError(t, err)
	_, err = m.Observe(ctx, "TRT", snapAt(6000), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 1)}) // resolves after silence
	require.NoError(t, err)
	m.EndCycle(ctx)
	require.NoError(t, d.Wait(ctx))
	require.Len(t, got, 1)
	require.Len(t, got[0], 2, "first firing and the resolution after the silence")
	assert.Equal(t, overwatch.AlarmFiring, got[0][0].State)
	assert.Equal(t, overwatch.AlarmResolved, got[0][1].State)
	assert.Error(t, m.Ack(ctx, id, "bob", time.Unix(6001, 0)), "a resolved alarm cannot be acknowledged")

	// The history: each event with its run, time and user.
	evs, err := st.AlarmEvents(ctx, overwatch.AlarmEventQuery{AlarmID: id})
	require.NoError(t, err)
	type row struct {
		Kind overwatch.AlarmEventKind
		Run  int
		Time int64
		User string
	}
	var rows []row
	for _, ev := range evs {
		rows = append(rows, row{ev.Kind, ev.Run, ev.Time.Unix(), ev.User})
	}
	assert.Equal(t, []row{
		{overwatch.AlarmEventFired, 7, 1000, ""},
		{overwatch.AlarmEventAcknowledged, 7, 1010, "alice"},
		{overwatch.AlarmEventSilenced, 7, 1011, "alice"},
		{overwatch.AlarmEventResolved, 7, 1060, ""},
		{overwatch.AlarmEventFired, 7, 1120, ""},
		{overwatch.AlarmEventResolved, 7, 6000, ""},
	}, rows)
	assert.Equal(t, int64(5000), evs[2].Until.Unix())
}

// An alarm that keeps firing into a new run gets a "fired" event in that
// run: every run lists the alarms that fired in it.
func TestAlarmFiresAgainInNewRun(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m, err := NewManager(st, Config{}, nil, quietLog())
	require.NoError(t, err)
	t.Cleanup(m.WaitOutputs)
	for i, run := range []int{7, 7, 8} {
		_, err = m.Observe(ctx, "TRT", snapAt(int64(1000+60*i)), run, map[string]*overwatch.Hist{"hSignal": signal(t, 9)})
		require.NoError(t, err)
	}
	for run, want := range map[int]int{7: 1, 8: 1, 9: 0} {
		evs, err := st.AlarmEvents(ctx, overwatch.AlarmEventQuery{Run: run, Subsystem: "TRT"})
		require.NoError(t, err)
		assert.Len(t, evs, want, "run %d", run)
	}
}

// Acknowledgements (the web app) concurrent with processing updating the
// same alarm are never lost.
func TestAckConcurrentWithProcessing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m, err := NewManager(st, Config{}, nil, quietLog())
	require.NoError(t, err)
	t.Cleanup(m.WaitOutputs)
	id := AlarmID("TRT", "meanSignal", "range")
	const rounds = 30
	for r := 0; r < rounds; r++ {
		base := int64(10000 + 1000*r)
		// Fire (clears any acknowledgement), then race an acknowledgement
		// against processing refreshing the firing alarm.
		_, err := m.Observe(ctx, "TRT", snapAt(base), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 1)})
		require.NoError(t, err)
		_, err = m.Observe(ctx, "TRT", snapAt(base+1), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 9)})
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() {
			var err error
			for i := int64(2); i < 8 && err == nil; i++ {
				_, err = m.Observe(ctx, "TRT", snapAt(base+i), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 9+float64(i))})
			}
			done <- err
		}()
		user := fmt.Sprintf("shifter%d", r)
		_, err = Acknowledge(ctx, st, id, user, time.Unix(base+3, 0))
		require.NoError(t, err)
		require.NoError(t, <-done)
		a, err := st.Alarm(ctx, id)
		require.NoError(t, err)
		require.Equal(t, user, a.AckedBy, "round %d: acknowledgement lost", r)
	}
}

func TestManagerConfigOverrides(t *testing.T) {
	st := openStore(t)
	m, err := NewManager(st, Config{Trends: map[string]TrendOverride{
		"TRT/maxSignal":  {Disabled: true},
		"TRT/meanSignal": {Alarms: []overwatch.AlarmSpec{}},
	}}, nil, quietLog())
	require.NoError(t, err)
	decls := m.Declarations("TRT")
	require.Len(t, decls, 1)
	assert.Equal(t, "meanSignal", decls[0].Name)
	assert.Empty(t, decls[0].Alarms)

	_, err = NewManager(st, Config{Trends: map[string]TrendOverride{"bad": {}}}, nil, nil)
	assert.Error(t, err)
}

type recorder struct{ fn func([]Notification) }

func (r recorder) Name() string { return "recorder" }
func (r recorder) Notify(_ context.Context, b []Notification) error {
	r.fn(b)
	return nil
}

func TestIntegralExtractorMatchesCellSum(t *testing.T) {
	ex, ok := LookupExtractor("integral")
	require.True(t, ok)
	for _, class := range []string{overwatch.ClassTH1F, overwatch.ClassTH2D, overwatch.ClassTH3F} {
		axes := []overwatch.Axis{overwatch.NewAxis(4, 0, 4), overwatch.NewAxis(3, 0, 3), overwatch.NewAxis(2, 0, 2)}[:overwatch.ClassDim(class)]
		h := overwatch.MustNewHist(class, "h", "", axes...)
		for i := -1; i < 6; i++ {
			xs := []float64{float64(i) + 0.5, float64(i%4) + 0.5, float64(i%3) + 0.5}[:h.Dim()]
			require.NoError(t, h.Fill(float64(i+2), xs...))
		}
		var want, want2 float64
		for bin := range h.Contents {
			if h.IsInRange(bin) {
				want += h.BinContent(bin)
				want2 += h.BinError(bin) * h.BinError(bin)
			}
		}
		v, e := ex(h)
		assert.InDelta(t, want, v, 1e-9, class)
		assert.InDelta(t, want2, e*e, 1e-9, class)
		assert.InDelta(t, h.Integral(), v, 1e-9, class)
	}
}

func TestBackgroundOutputs(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m, err := NewManager(st, Config{}, nil, quietLog())
	require.NoError(t, err)
	m.RenderInBackground()
	t.Cleanup(m.WaitOutputs)
	for i := 0; i < 3; i++ {
		_, err := m.Observe(ctx, "TRT", snapAt(int64(1000+60*i)), 7, map[string]*overwatch.Hist{"hSignal": signal(t, 1)})
		require.NoError(t, err)
		m.EndCycle(ctx)
	}
	m.WaitOutputs()
	js, err := st.Output(ctx, overwatch.OutputRef{Subsystem: "TRT", Name: "maxSignal", Kind: overwatch.OutputJSON})
	require.NoError(t, err)
	assert.Contains(t, string(js), `"fNpoints":3`)
}
