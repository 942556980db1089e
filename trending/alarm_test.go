package trending

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// step is one value fed to a trend and whether an alarm is expected.
type step struct {
	v    float64
	want bool
}

func runSeries(t *testing.T, c Check, steps []step) {
	t.Helper()
	var series []float64
	for i, s := range steps {
		series = append(series, s.v)
		got, msg := c.Check(series)
		assert.Equal(t, s.want, got, "step %d value %v (msg %q)", i, s.v, msg)
		if got {
			assert.NotEmpty(t, msg)
		} else {
			assert.Empty(t, msg)
		}
	}
}

// The value sequences of original-processing.md §9.7.
func TestValueAlarmsOriginalSequences(t *testing.T) {
	between := []step{{3, false}, {-10, true}, {17, false}, {0, false}, {105, true}, {100, false}, {44, false}, {-1, true}, {101, true}}
	t.Run("BetweenValues center", func(t *testing.T) { runSeries(t, NewBetweenValuesCentered(50, 50), between) })
	t.Run("BetweenValues min/max", func(t *testing.T) { runSeries(t, BetweenValues{Min: 0, Max: 100}, between) })
	t.Run("RelativePreviousValue", func(t *testing.T) {
		runSeries(t, RelativePreviousValue{Ratio: 2}, []step{
			{6, false}, {7, false}, {14, false}, {7, false}, {15, true}, {16, false}, {7, true}, {0.1, true},
			{0, true}, {-0.1, true}, {2, true}, {-2, true}, {-1, false}, {-2, false}, {-4, false}, {-1, true},
			{-3, true}, {-6, false},
		})
	})
	t.Run("AbsolutePreviousValue", func(t *testing.T) {
		runSeries(t, AbsolutePreviousValue{MaxDelta: 3}, []step{
			{34, false}, {33, false}, {35, false}, {32, false}, {36, true}, {30, true}, {29, false}, {10, true},
			{9, false}, {15, true}, {0, true}, {-1, false}, {1, false}, {0, false}, {-17, true}, {-15, false}, {-9, true},
		})
	})
	t.Run("MeanInRange", func(t *testing.T) {
		runSeries(t, MeanInRange{Min: 0, Max: 10, N: 5}, []step{
			{10, false}, {3, false}, {-1, false}, {2, false}, {5, false}, {30, false}, {20, true}, {1, true},
			{-10, false}, {100, true}, {0, true}, {0, true}, {-10, true}, {-2, true}, {20, false},
		})
	})
	t.Run("CheckLastN", func(t *testing.T) {
		runSeries(t, CheckLastN{Min: 0, Max: 10, Ratio: 0.6, N: 5}, []step{
			{10, false}, {8, false}, {4, false}, {2, false}, {-20, false}, {-10, false}, {12, true}, {1, true},
			{1, true}, {2, false}, {0, false}, {-2, false}, {-4, true}, {10, true},
		})
	})
}

func TestAlarmMessagesDeterministic(t *testing.T) {
	a := &Alarm{Text: "WARNING", Check: BetweenValues{Min: 0, Max: 100}}
	on, msg := a.Evaluate([]float64{105})
	require.True(t, on)
	assert.Equal(t, "[WARNING]: (BetweenValuesAlarm): value 105 not in [0, 100]", msg)
	_, msg = (&Alarm{Text: "E", Check: RelativePreviousValue{Ratio: 2}}).Evaluate([]float64{-1, -3})
	assert.Equal(t, "[E]: (RelativePreviousValueAlarm): curValue: 3, prevValue: -1, change more than: 2", msg)
	_, msg = (&Alarm{Text: "E", Check: AbsolutePreviousValue{MaxDelta: 3}}).Evaluate([]float64{36, 32})
	assert.Equal(t, "[E]: (AbsolutePreviousValueAlarm): curValue: 32, prevValue: 36, change more than: 3", msg)
	_, msg = (&Alarm{Text: "E", Check: MeanInRange{Min: 0, Max: 10, N: 2}}).Evaluate([]float64{30, 20})
	assert.Equal(t, "[E]: (MeanInRangeAlarm): mean 25 of last 2 values not in (0, 10)", msg)
	_, msg = (&Alarm{Text: "E", Check: CheckLastN{Min: 0, Max: 10, Ratio: 0.6, N: 2}}).Evaluate([]float64{30, 20})
	assert.Equal(t, "[E]: (CheckLastNAlarm): only 0 of the last 2 values in (0, 10), fewer than 60 %", msg)
}

// mockTrend mirrors the original test fixture: adding a value appends it
// and evaluates every alarm of the trend on the series.
type mockTrend struct {
	values []float64
	alarms []*Alarm
}

func (m *mockTrend) add(v float64) {
	m.values = append(m.values, v)
	for _, a := range m.alarms {
		a.Evaluate(m.values)
	}
}

// §9.8 case 1: two trends, one AND alarm; the order of arrival does not
// matter.
func TestAndAlarmOverTwoTrends(t *testing.T) {
	var msgs []string
	ba1 := &Alarm{Text: "ba1", Check: BetweenValues{Min: 10, Max: 30}}
	ba2 := &Alarm{Text: "ba2", Check: BetweenValues{Min: 40, Max: 50}}
	and, err := NewAggregate("andAlarm", And, ba1, ba2)
	require.NoError(t, err)
	and.Receivers = []func(string){func(m string) { msgs = append(msgs, m) }}
	tc1 := &mockTrend{alarms: []*Alarm{ba1}}
	tc2 := &mockTrend{alarms: []*Alarm{ba2}}

	feed := func(first *mockTrend, v1 float64, second *mockTrend, v2 float64, wantAfterFirst, wantAfterSecond int) {
		first.add(v1)
		assert.Len(t, msgs, wantAfterFirst)
		second.add(v2)
		assert.Len(t, msgs, wantAfterSecond)
	}
	feed(tc1, 1, tc2, 2, 0, 1)
	feed(tc1, 3, tc2, 45, 1, 1)
	feed(tc1, 25, tc2, 4, 1, 1)
	feed(tc1, 26, tc2, 46, 1, 1)
	feed(tc1, 100, tc2, 200, 1, 2)
	feed(tc2, 300, tc1, 400, 2, 3)
	assert.Equal(t, "[andAlarm]: ba1, ba2", msgs[0])
}

// §9.8 case 2: one trend, two alarms with their own receivers.
func TestTwoAlarmsOnOneTrend(t *testing.T) {
	n := 0
	rec := func(string) { n++ }
	warning := &Alarm{Text: "warning", Check: BetweenValues{Min: 20, Max: 50}, Receivers: []func(string){rec}}
	errA := &Alarm{Text: "error", Check: BetweenValues{Min: 30, Max: 40}, Receivers: []func(string){rec}}
	tr := &mockTrend{alarms: []*Alarm{warning, errA}}
	for _, s := range []struct {
		v    float64
		want int
	}{{35, 0}, {30, 0}, {40, 0}, {25, 1}, {45, 1}, {15, 2}, {55, 2}} {
		before := n
		tr.add(s.v)
		assert.Equal(t, s.want, n-before, "value %v", s.v)
	}
}

// §9.8 case 3: Root = OR(AND(warning1, warning2), OR(error1, error2)),
// receiver on the root only; each step feeds tc1, tc2 then tc2, tc1.
func TestNestedAggregates(t *testing.T) {
	var msgs []string
	e1 := &Alarm{Text: "error1", Check: BetweenValues{Min: 20, Max: 50}}
	w1 := &Alarm{Text: "warning1", Check: BetweenValues{Min: 30, Max: 40}}
	e2 := &Alarm{Text: "error2", Check: BetweenValues{Min: 20, Max: 50}}
	w2 := &Alarm{Text: "warning2", Check: BetweenValues{Min: 30, Max: 40}}
	andW, err := NewAggregate("AndWarning", And, w1, w2)
	require.NoError(t, err)
	orE, err := NewAggregate("OrError", Or, e1, e2)
	require.NoError(t, err)
	root, err := NewAggregate("Root", Or, andW, orE)
	require.NoError(t, err)
	root.Receivers = []func(string){func(m string) { msgs = append(msgs, m) }}
	tc1 := &mockTrend{alarms: []*Alarm{e1, w1}}
	tc2 := &mockTrend{alarms: []*Alarm{e2, w2}}

	for _, s := range []struct {
		v1, v2 float64
		fires  bool
		body   string
	}{
		{35, 36, false, ""}, {41, 30, false, ""}, {42, 29, true, "AndWarning"},
		{53, 35, true, "OrError"}, {17, 45, true, ""}, {54, 18, true, ""},
	} {
		for feed, want := range []int{0, 1, 1, 2} {
			before := len(msgs)
			switch feed {
			case 0, 3:
				tc1.add(s.v1)
			default:
				tc2.add(s.v2)
			}
			got := len(msgs) - before
			if s.fires && (feed == 1 || feed == 3) {
				assert.Equal(t, 1, got, "values %v,%v feed %d", s.v1, s.v2, feed)
				if s.body != "" {
					assert.Equal(t, "[Root]: "+s.body, msgs[len(msgs)-1])
				}
			} else {
				assert.Equal(t, 0, got, "values %v,%v feed %d (want index %d)", s.v1, s.v2, feed, want)
			}
		}
	}
}

func TestAggregateRejectsSecondParent(t *testing.T) {
	a := &Alarm{Text: "a", Check: BetweenValues{Max: 1}}
	_, err := NewAggregate("g1", And, a)
	require.NoError(t, err)
	_, err = NewAggregate("g2", Or, a)
	require.Error(t, err)
}

// §9.9: the registrator.
func TestRegistry(t *testing.T) {
	var r Registry
	assert.Equal(t, 0, r.Len())
	first := &Alarm{Text: "first", Check: BetweenValues{}}
	assert.Same(t, first, r.GetOrRegister("register test", first))
	assert.Equal(t, 1, r.Len())
	r.GetOrRegister("other alarm", &Alarm{Text: "other", Check: BetweenValues{}})
	assert.Equal(t, 2, r.Len())
	got := r.GetOrRegister("register test", &Alarm{Text: "new", Check: BetweenValues{}})
	assert.Same(t, first, got)
	assert.Equal(t, 2, r.Len())
}

func TestBuildCheckFromSpec(t *testing.T) {
	c, err := BuildCheck(overwatch.AlarmSpec{Kind: "BetweenValues"})
	require.NoError(t, err)
	assert.Equal(t, BetweenValues{Min: 0, Max: 100}, c)
	c, err = BuildCheck(overwatch.AlarmSpec{Kind: "BetweenValues", Params: map[string]float64{"maxVal": 300}})
	require.NoError(t, err)
	assert.Equal(t, BetweenValues{Min: 0, Max: 300}, c)
	c, err = BuildCheck(overwatch.AlarmSpec{Kind: "CheckLastN"})
	require.NoError(t, err)
	assert.Equal(t, CheckLastN{Min: 0, Max: 100, Ratio: 0.6, N: 5}, c)

	for _, bad := range []overwatch.AlarmSpec{
		{Kind: "Nope"},
		{Kind: "BetweenValues", Params: map[string]float64{"typo": 1}},
		{Kind: "BetweenValues", Params: map[string]float64{"minVal": 5, "maxVal": 1}},
		{Kind: "MeanInRange", Params: map[string]float64{"N": 2.5}},
		{Kind: "RelativePreviousValue", Params: map[string]float64{"ratio": 1}},
		{Kind: "CheckLastN", Params: map[string]float64{"ratio": 2}},
	} {
		_, err := BuildCheck(bad)
		assert.Error(t, err, "%+v", bad)
	}
	assert.Error(t, ValidateSpec(overwatch.AlarmSpec{Kind: "And"}))
	assert.NoError(t, ValidateSpec(overwatch.AlarmSpec{Kind: "Or", Text: "any", Children: []overwatch.AlarmSpec{{Kind: "BetweenValues", Text: "a"}}}))
}

func TestEvaluateSpecAggregatesOnOneSeries(t *testing.T) {
	spec := overwatch.AlarmSpec{Kind: "And", Text: "both", Children: []overwatch.AlarmSpec{
		{Kind: "BetweenValues", Text: "range", Params: map[string]float64{"minVal": 0, "maxVal": 10}},
		{Kind: "AbsolutePreviousValue", Text: "jump", Params: map[string]float64{"maxDelta": 5}},
	}}
	on, _, err := evaluateSpec(spec, []float64{1, 20})
	require.NoError(t, err)
	assert.True(t, on)
	on, _, err = evaluateSpec(spec, []float64{9, 11})
	require.NoError(t, err)
	assert.False(t, on)
}

func FuzzChecks(f *testing.F) {
	f.Add(1.0, 2.0, 3.0, 0.5, 3)
	f.Fuzz(func(t *testing.T, a, b, c, ratio float64, n int) {
		s := []float64{a, b, c}
		for _, ch := range []Check{
			BetweenValues{Min: a, Max: b}, CheckLastN{Min: a, Max: b, Ratio: ratio, N: n % 5},
			MeanInRange{Min: a, Max: c, N: n % 5}, AbsolutePreviousValue{MaxDelta: ratio},
			RelativePreviousValue{Ratio: ratio},
		} {
			on, msg := ch.Check(s)
			if on != (msg != "") {
				t.Fatalf("%T: fired=%v but message %q", ch, on, msg)
			}
		}
	})
}
