package timeslice_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Windows by events and by seconds on the fixture's run: snapshot k
// (k = 1..5, at 0, 62, 121, 180 and 241 s) holds counter 10k and 100k
// events.
func TestServiceEventAndSecondWindows(t *testing.T) {
	f := newFixture(t, "SLC", false)
	for _, tc := range []struct {
		name    string
		req     timeslice.Request
		counter float64
		events  *[2]float64
	}{
		{"events 0 to 300", timeslice.Request{By: timeslice.ByEvents, ToEvent: 300}, 30, &[2]float64{0, 300}},
		{"events 100 to 400 (exact counts)", timeslice.Request{FromEvent: 100, ToEvent: 400}, 40 - 10, &[2]float64{100, 400}},
		{"events 150 to 450 (nearest below)", timeslice.Request{FromEvent: 150, ToEvent: 450}, 40 - 10, &[2]float64{100, 400}},
		{"events 99.5 to 400", timeslice.Request{FromEvent: 99.5, ToEvent: 400}, 40, &[2]float64{0, 400}},
		{"last 200 events", timeslice.Request{LastEvents: 200}, 50 - 30, &[2]float64{300, 500}},
		{"last 199 events", timeslice.Request{LastEvents: 199}, 50 - 30, &[2]float64{300, 500}},
		{"last 201 events", timeslice.Request{LastEvents: 201}, 50 - 20, &[2]float64{200, 500}},
		{"more events than the run", timeslice.Request{LastEvents: 1e9}, 50, &[2]float64{0, 500}},
		{"seconds 60 to 130", timeslice.Request{FromSecond: 60, ToSecond: 130}, 30 - 10, nil},
		{"seconds 62 to 121 (exact times)", timeslice.Request{FromSecond: 62, ToSecond: 121}, 30 - 10, nil},
		{"seconds 62.001 to 121", timeslice.Request{FromSecond: 62.001, ToSecond: 121}, 30 - 20, nil},
		{"seconds 0 to 61.999", timeslice.Request{By: timeslice.BySeconds, ToSecond: 61.999}, 10, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Run, req.Subsystem = 300, "SLC"
			key, st := f.run(t, req)
			assert.Equal(t, tc.counter, f.counter(t, key, "SLC"))
			assert.Equal(t, tc.events, st.Record.Events)
			if tc.events != nil {
				assert.Equal(t, tc.events[1]-tc.events[0], st.Record.NEvents, "the slice holds the events selected")
			}
		})
	}
	// The same snapshots by minutes, seconds and events: one result.
	k1, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromMinute: 1, ToMinute: 3})
	k2, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromSecond: 30, ToSecond: 200})
	k3, _ := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromEvent: 100, ToEvent: 400})
	assert.Equal(t, k1, k2)
	assert.Equal(t, k1, k3)

	// The counts are recorded once per snapshot.
	b, err := f.st.Output(context.Background(), ow.OutputRef{Run: 300, Subsystem: "SLC", Slice: timeslice.EventsKey, Kind: ow.OutputSlice})
	require.NoError(t, err)
	var rec struct {
		Snapshots []struct{ Events float64 } `json:"snapshots"`
	}
	require.NoError(t, json.Unmarshal(b, &rec))
	require.Len(t, rec.Snapshots, 5)
	assert.Equal(t, 500.0, rec.Snapshots[4].Events)

	// Windows holding no snapshot say what the run covers.
	for _, req := range []timeslice.Request{
		{FromEvent: 600, ToEvent: 700},
		{FromEvent: 0, ToEvent: 99},
		{FromSecond: 250, ToSecond: 300},
		{FromSecond: 62.001, ToSecond: 120.999},
		{FromMinute: 5, ToMinute: 6},
	} {
		req.Run, req.Subsystem = 300, "SLC"
		_, err := f.svc.Submit(context.Background(), req)
		require.ErrorIs(t, err, timeslice.ErrInvalidRequest, "%+v", req)
		assert.ErrorIs(t, err, timeslice.ErrEmptyWindow, "%+v", req)
		assert.Contains(t, err.Error(), "the run's 5 snapshots", "%+v", req)
	}
}

// In reset mode each snapshot holds its own events: the counts add up.
func TestServiceEventWindowsResetMode(t *testing.T) {
	f := newFixture(t, "SLC", true) // events 100, 200, ..., 500: cumulative 100, 300, 600, 1000, 1500
	key, st := f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", LastEvents: 500})
	assert.Equal(t, &[2]float64{1000, 1500}, st.Record.Events)
	assert.Equal(t, 50.0, f.counter(t, key, "SLC"), "the last snapshot alone")
	key, st = f.run(t, timeslice.Request{Run: 300, Subsystem: "SLC", FromEvent: 300, ToEvent: 1000})
	assert.Equal(t, &[2]float64{300, 1000}, st.Record.Events)
	assert.Equal(t, 30.0+40, f.counter(t, key, "SLC"), "snapshots 3 and 4 summed")
}

// rootSnapshot is snapshot k of a short run as a ROOT file: a counter and
// the "nEvents" histogram processing counts events with.
func rootSnapshot(t *testing.T, k int, events float64) []byte {
	c := ow.MustNewHist(ow.ClassTH1D, "RTSamp", "", ow.NewAxis(4, 0, 4))
	for i := 1; i <= 4; i++ {
		c.Contents[i] = float64(k * i)
	}
	c.Entries = float64(10 * k)
	ev := ow.MustNewHist(ow.ClassTH1D, "RTSnEvents", "", ow.NewAxis(1, 0, 1))
	ev.Contents[1] = events
	ev.Entries = events
	b, err := ow.EncodeFile([]ow.Entry{{Key: "RTSamp", Object: c}, {Key: "RTSnEvents", Object: ev}})
	require.NoError(t, err)
	return b
}

// TestServiceEventsOnROOTSnapshots: a demo-like short run (ROOT snapshots
// 3 s apart, all at minute 0) sliced by events, by seconds not starting at
// 0 and processed by processing: the slice holds the events asked for.
func TestServiceEventsOnROOTSnapshots(t *testing.T) {
	st := openStore(t, "RTS")
	ctx := context.Background()
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	events := []float64{0, 250, 500, 800, 1000, 1400}
	for k, ev := range events {
		putSnapshot(t, st, ow.SnapshotMeta{Run: 310, Subsystem: "RTS", Time: start.Add(time.Duration(3*k) * time.Second)}, rootSnapshot(t, k, ev))
	}
	p := processing.New(st, processing.Options{Logger: quietLog, NoPNG: true})
	svc := timeslice.NewService(st, p, timeslice.ServiceOptions{Logger: quietLog})
	defer svc.Close()
	get := func(req timeslice.Request) (timeslice.Status, *ow.Hist) {
		t.Helper()
		req.Run, req.Subsystem = 310, "RTS"
		key, s := runSlice(t, svc, req)
		// The slice's histogram as processing wrote it (JSROOT JSON).
		b, err := bundle.NewOutputs(st).Output(ctx, ow.OutputRef{Run: 310, Subsystem: "RTS", Slice: key, Name: "RTSamp", Kind: ow.OutputJSON})
		require.NoError(t, err)
		h, err := ow.DecodeJSONHist(b)
		require.NoError(t, err)
		return s, h
	}
	s, h := get(timeslice.Request{FromEvent: 500, ToEvent: 1000})
	assert.Equal(t, &[2]float64{500, 1000}, s.Record.Events)
	assert.Equal(t, 500.0, s.Record.NEvents)
	assert.Equal(t, float64(4*3-2*3), h.Contents[3], "snapshot 4 − snapshot 2")

	s, _ = get(timeslice.Request{LastEvents: 600})
	assert.Equal(t, &[2]float64{800, 1400}, s.Record.Events)

	// Seconds 4 to 10 on a run whose snapshots all round to minute 0:
	// snapshot 3 (9 s) − snapshot 1 (3 s).
	s, _ = get(timeslice.Request{FromSecond: 4, ToSecond: 10})
	assert.Equal(t, 800.0-250, s.Record.NEvents)
	_, err := svc.Submit(ctx, timeslice.Request{Run: 310, Subsystem: "RTS", FromMinute: 1, ToMinute: 2})
	assert.ErrorIs(t, err, timeslice.ErrEmptyWindow, "minutes cannot cut a 15 s run")
	assert.Contains(t, err.Error(), "span 15 s")
}

// TestServiceEventCountsRecorded: the first window by events on a run
// decodes each snapshot once to count its events; later ones read the
// recorded counts, which costs less than half of it (a ratio in the same run,
// median of 5).
func TestServiceEventCountsRecorded(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	st := openStore(t, "RTS")
	ctx := context.Background()
	start := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	const n = 60
	for k := 0; k < n; k++ {
		m := ow.MustNewHist(ow.ClassTH2F, "RTSmap", "", ow.NewAxis(100, 0, 100), ow.NewAxis(100, 0, 100))
		for i := range m.Contents {
			m.Contents[i] = float64((i*7 + k) % 13)
		}
		ev := ow.MustNewHist(ow.ClassTH1D, "RTSnEvents", "", ow.NewAxis(1, 0, 1))
		ev.Contents[1] = float64(100 * k)
		b, err := ow.EncodeFile([]ow.Entry{{Key: "RTSmap", Object: m}, {Key: "RTSnEvents", Object: ev}})
		require.NoError(t, err)
		putSnapshot(t, st, ow.SnapshotMeta{Run: 320, Subsystem: "RTS", Time: start.Add(time.Duration(k) * time.Minute)}, b)
	}
	svc := timeslice.NewService(st, nopRenderer{}, timeslice.ServiceOptions{Logger: quietLog})
	defer svc.Close()
	submit := func(last float64) time.Duration {
		t0 := time.Now()
		_, err := svc.Submit(ctx, timeslice.Request{Run: 320, Subsystem: "RTS", LastEvents: last})
		require.NoError(t, err)
		return time.Since(t0)
	}
	first := submit(1000)
	var again []time.Duration
	for i := 0; i < 5; i++ {
		again = append(again, submit(float64(2000+100*i)))
	}
	slices.Sort(again)
	t.Logf("first window by events over %d snapshots: %v; later ones (median of 5): %v", n, first, again[2])
	assert.Greater(t, first, 2*again[2], "later windows read the recorded counts")
}
