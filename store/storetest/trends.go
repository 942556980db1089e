package storetest

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func values(ps []overwatch.TrendPoint) []float64 {
	v := []float64{}
	for _, p := range ps {
		v = append(v, p.Value)
	}
	return v
}

func trendPoints(t *testing.T, s overwatch.Store, q overwatch.TrendQuery) []overwatch.TrendPoint {
	t.Helper()
	pts, err := s.TrendPoints(context.Background(), q)
	require.NoError(t, err, "%+v", q)
	for i := range pts {
		pts[i].Time = pts[i].Time.UTC()
	}
	return pts
}

// pointString is a point in a form that compares NaN equal to NaN.
func pointString(p overwatch.TrendPoint) string {
	return fmt.Sprintf("%s/%s run %d %s seq %d = %v ± %v", p.Subsystem, p.Trend, p.Run,
		p.Time.UTC().Format(time.RFC3339Nano), p.Seq, p.Value, p.Error)
}

func testTrendQuery(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	var pts []overwatch.TrendPoint
	for i := 0; i < 10; i++ {
		pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 1 + i/5, Time: at(i * 10), Value: float64(i)})
	}
	pts = append(pts,
		overwatch.TrendPoint{Subsystem: "EMC", Trend: "max", Run: 1, Time: at(5), Value: 100},
		overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 2, Time: at(90), Seq: 1, Value: 9.5},
		overwatch.TrendPoint{Subsystem: "HLT", Trend: "mean", Run: 1, Time: at(7), Value: -1},
	)
	require.NoError(t, s.PutTrendPoints(ctx, pts))
	for _, tt := range []struct {
		name string
		q    overwatch.TrendQuery
		want []float64
	}{
		{"series", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"}, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9.5}},
		{"series limit", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", Limit: 3}, []float64{8, 9, 9.5}},
		{"series limit above count", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", Limit: 100}, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9.5}},
		{"series window inclusive", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", From: at(20), To: at(40)}, []float64{2, 3, 4}},
		{"series window limit", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", From: at(20), To: at(40), Limit: 2}, []float64{3, 4}},
		{"series from", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", From: at(75)}, []float64{8, 9, 9.5}},
		{"series to", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", To: at(15)}, []float64{0, 1}},
		{"series run", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", Run: 2}, []float64{5, 6, 7, 8, 9, 9.5}},
		{"series run limit", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", Run: 1, Limit: 2}, []float64{3, 4}},
		{"series run range", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", RunFrom: 2, RunTo: 2}, []float64{5, 6, 7, 8, 9, 9.5}},
		{"series run to", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", RunTo: 1}, []float64{0, 1, 2, 3, 4}},
		{"series run from limit", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", RunFrom: 2, Limit: 2}, []float64{9, 9.5}},
		{"series run range and window", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", RunFrom: 1, RunTo: 1, From: at(30)}, []float64{3, 4}},
		{"series run range above", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", RunFrom: 3}, []float64{}},
		{"subsystem", overwatch.TrendQuery{Subsystem: "EMC", To: at(10)}, []float64{0, 100, 1}},
		{"subsystem limit", overwatch.TrendQuery{Subsystem: "EMC", Limit: 2}, []float64{9, 9.5}},
		{"all by time", overwatch.TrendQuery{To: at(10)}, []float64{0, 100, -1, 1}},
		{"trend across subsystems", overwatch.TrendQuery{Trend: "mean", To: at(10), Limit: 2}, []float64{-1, 1}},
		{"run across trends", overwatch.TrendQuery{Run: 1, To: at(10)}, []float64{0, 100, -1, 1}},
		{"empty window", overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", From: at(11), To: at(19)}, []float64{}},
		{"unknown series", overwatch.TrendQuery{Subsystem: "TPC", Trend: "mean"}, []float64{}},
		{"unknown trend", overwatch.TrendQuery{Subsystem: "EMC", Trend: "nope"}, []float64{}},
	} {
		got := trendPoints(t, s, tt.q)
		assert.Equal(t, tt.want, values(got), "%s: %+v", tt.name, tt.q)
		assert.True(t, sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Time.Before(got[j].Time) }), "%s: oldest first", tt.name)
	}
	got := trendPoints(t, s, overwatch.TrendQuery{Subsystem: "HLT", Trend: "mean"})
	assert.Equal(t, []overwatch.TrendPoint{{Subsystem: "HLT", Trend: "mean", Run: 1, Time: at(7), Value: -1}}, got, "every field round-trips")
}

func testTrendIdempotent(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	var pts []overwatch.TrendPoint
	for i := 0; i < 5; i++ {
		pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 3, Time: at(i), Value: float64(i), Error: 0.5})
	}
	for round := 0; round < 3; round++ { // reprocessing stores the same points again
		require.NoError(t, s.PutTrendPoints(ctx, pts))
	}
	q := overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"}
	assert.Equal(t, []float64{0, 1, 2, 3, 4}, values(trendPoints(t, s, q)), "one copy of each point")
	// The last put wins, run included; another Seq is another point.
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{
		{Subsystem: "EMC", Trend: "mean", Run: 4, Time: at(2), Value: 42, Error: 1},
		{Subsystem: "EMC", Trend: "mean", Run: 3, Time: at(2), Seq: 1, Value: 43},
	}))
	got := trendPoints(t, s, q)
	assert.Equal(t, []float64{0, 1, 42, 43, 3, 4}, values(got))
	assert.Equal(t, overwatch.TrendPoint{Subsystem: "EMC", Trend: "mean", Run: 4, Time: at(2), Value: 42, Error: 1}, got[2])
	assert.Equal(t, 1, got[3].Seq)
	assert.Equal(t, []float64{42}, values(trendPoints(t, s, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean", Run: 4})))
	// The same point in one batch twice: the later one wins.
	require.NoError(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{
		{Subsystem: "EMC", Trend: "mean", Run: 3, Time: at(0), Value: 7},
		{Subsystem: "EMC", Trend: "mean", Run: 3, Time: at(0), Value: 8},
	}))
	assert.Equal(t, []float64{8, 1, 42, 43, 3, 4}, values(trendPoints(t, s, q)))
	// An empty batch is fine.
	require.NoError(t, s.PutTrendPoints(ctx, nil))
}

func testTrendValues(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	in := []overwatch.TrendPoint{
		{Subsystem: "EMC", Trend: "v", Run: 1, Time: at(0), Value: math.NaN(), Error: math.Inf(1)},
		{Subsystem: "EMC", Trend: "v", Run: 1, Time: at(1), Value: math.Inf(1), Error: math.NaN()},
		{Subsystem: "EMC", Trend: "v", Run: 1, Time: at(2), Value: math.Inf(-1), Error: 0},
		{Subsystem: "EMC", Trend: "v", Run: 1, Time: at(3).Add(250 * time.Millisecond), Value: 0.1 + 0.2, Error: 1e-300},
		{Subsystem: "EMC", Trend: "v", Run: 1, Time: at(4), Value: -math.MaxFloat64, Error: math.SmallestNonzeroFloat64},
		{Subsystem: "EMC", Trend: "v", Run: 999999, Time: at(5), Value: -2.5e-7, Error: 12345.678901234567},
	}
	require.NoError(t, s.PutTrendPoints(ctx, in))
	got := trendPoints(t, s, overwatch.TrendQuery{Subsystem: "EMC", Trend: "v"})
	require.Len(t, got, len(in))
	for i := range in {
		in[i].Time = in[i].Time.UTC()
		assert.Equal(t, pointString(in[i]), pointString(got[i]))
		assert.Equal(t, math.Float64bits(in[i].Value) == math.Float64bits(got[i].Value) || math.IsNaN(in[i].Value) && math.IsNaN(got[i].Value), true,
			"value %v round-trips bit for bit (got %v)", in[i].Value, got[i].Value)
	}
	// The millisecond point is found by an inclusive bound on its exact time.
	ms := trendPoints(t, s, overwatch.TrendQuery{Subsystem: "EMC", Trend: "v", From: in[3].Time, To: in[3].Time})
	require.Len(t, ms, 1)
	assert.True(t, ms[0].Time.Equal(in[3].Time))
}

func testTrendList(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	var pts []overwatch.TrendPoint
	for i, name := range []string{"mean", "max", "EMC/clusters/mean", "a b", "mean", "ünï", "max"} {
		pts = append(pts, overwatch.TrendPoint{Subsystem: "EMC", Trend: name, Run: 1, Time: at(i), Value: 1})
	}
	pts = append(pts, overwatch.TrendPoint{Subsystem: "HLT", Trend: "other", Run: 1, Time: at(0)})
	require.NoError(t, s.PutTrendPoints(ctx, pts))
	names, err := s.Trends(ctx, "EMC")
	require.NoError(t, err)
	assert.Equal(t, []string{"EMC/clusters/mean", "a b", "max", "mean", "ünï"}, names, "sorted, once each")
	names, err = s.Trends(ctx, "HLT")
	require.NoError(t, err)
	assert.Equal(t, []string{"other"}, names)
	names, err = s.Trends(ctx, "TPC")
	require.NoError(t, err)
	assert.Empty(t, names)
}

func testTrendInvalid(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	for _, bad := range []overwatch.TrendPoint{
		{Subsystem: "emc", Trend: "x", Time: at(0)},
		{Subsystem: "", Trend: "x", Time: at(0)},
		{Subsystem: "EMC", Trend: "", Time: at(0)},
		{Subsystem: "EMC", Trend: "a\x00b", Time: at(0)},
		{Subsystem: "EMC", Trend: "x"},
	} {
		good := overwatch.TrendPoint{Subsystem: "EMC", Trend: "good", Time: at(1)}
		assert.Error(t, s.PutTrendPoints(ctx, []overwatch.TrendPoint{good, bad}), "%+v", bad)
	}
	names, err := s.Trends(ctx, "EMC")
	require.NoError(t, err)
	assert.Empty(t, names, "a batch with an invalid point stores nothing")
}
