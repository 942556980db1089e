package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// normAlarm makes an alarm's times UTC (zero times stay zero).
func normAlarm(a overwatch.AlarmRecord) overwatch.AlarmRecord {
	for _, p := range []*time.Time{&a.FiredAt, &a.LastSeen, &a.ResolvedAt, &a.AckedAt, &a.SilencedUntil} {
		*p = p.UTC()
	}
	return a
}

func normEvent(e overwatch.AlarmEvent) overwatch.AlarmEvent {
	e.Time, e.Until = e.Time.UTC(), e.Until.UTC()
	return e
}

func alarm(t *testing.T, s overwatch.Store, id string) overwatch.AlarmRecord {
	t.Helper()
	a, err := s.Alarm(context.Background(), id)
	require.NoError(t, err, "alarm %q", id)
	return normAlarm(a)
}

func alarmIDs(t *testing.T, s overwatch.Store, q overwatch.AlarmQuery) []string {
	t.Helper()
	l, err := s.Alarms(context.Background(), q)
	require.NoError(t, err, "%+v", q)
	ids := []string{}
	for _, a := range l {
		ids = append(ids, a.ID)
	}
	return ids
}

func testAlarms(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	full := overwatch.AlarmRecord{
		ID: "EMC/mean/high", Subsystem: "EMC", Trend: "mean", Alarm: "high", Hist: "EMC/h_mean",
		State: overwatch.AlarmFiring, Message: "mean 12.5 above 10", Run: 300005,
		FiredAt: at(0), LastSeen: at(60), AckedBy: "shifter", AckedAt: at(30), SilencedUntil: at(3600),
	}
	require.NoError(t, s.PutAlarm(ctx, full))
	assert.Equal(t, full, alarm(t, s, full.ID), "every field round-trips")
	derived := overwatch.AlarmRecord{Subsystem: "TPC", Trend: "tracks", Alarm: "low", State: overwatch.AlarmResolved, ResolvedAt: at(5)}
	require.NoError(t, s.PutAlarm(ctx, derived))
	got := alarm(t, s, "TPC/tracks/low")
	derived.ID = "TPC/tracks/low"
	assert.Equal(t, derived, got, "an empty ID is Subsystem/Trend/Alarm")
	require.NoError(t, s.PutAlarm(ctx, overwatch.AlarmRecord{ID: "EMC/max/high", Subsystem: "EMC", Trend: "max", Alarm: "high", State: overwatch.AlarmResolved}))
	require.NoError(t, s.PutAlarm(ctx, overwatch.AlarmRecord{ID: "EMC/mean/a/b", Subsystem: "EMC", Trend: "mean/a", Alarm: "b", State: overwatch.AlarmFiring}))

	// Replace.
	full.State, full.ResolvedAt, full.Message = overwatch.AlarmResolved, at(120), "back to normal"
	require.NoError(t, s.PutAlarm(ctx, full))
	assert.Equal(t, full, alarm(t, s, full.ID))

	assert.Equal(t, []string{"EMC/max/high", "EMC/mean/a/b", "EMC/mean/high", "TPC/tracks/low"}, alarmIDs(t, s, overwatch.AlarmQuery{}), "sorted by ID")
	assert.Equal(t, []string{"EMC/max/high", "EMC/mean/a/b", "EMC/mean/high"}, alarmIDs(t, s, overwatch.AlarmQuery{Subsystem: "EMC"}))
	assert.Equal(t, []string{"EMC/mean/high"}, alarmIDs(t, s, overwatch.AlarmQuery{Subsystem: "EMC", Trend: "mean"}))
	assert.Equal(t, []string{"EMC/mean/a/b"}, alarmIDs(t, s, overwatch.AlarmQuery{State: overwatch.AlarmFiring}))
	assert.Equal(t, []string{"EMC/max/high", "EMC/mean/high"}, alarmIDs(t, s, overwatch.AlarmQuery{Subsystem: "EMC", State: overwatch.AlarmResolved}))
	assert.Equal(t, []string{}, alarmIDs(t, s, overwatch.AlarmQuery{Subsystem: "HLT"}))
	assert.Error(t, s.PutAlarm(ctx, overwatch.AlarmRecord{}), "an alarm without ID or names")
	assert.Len(t, alarmIDs(t, s, overwatch.AlarmQuery{}), 4)
}

// history returns the store's AlarmHistory, or skips (fails with
// Options.AlarmHistory) when it has none.
func (su *suite) history(t *testing.T, s overwatch.Store) overwatch.AlarmHistory {
	t.Helper()
	h, ok := s.(overwatch.AlarmHistory)
	if !ok {
		if su.o.AlarmHistory {
			t.Fatalf("%T does not implement overwatch.AlarmHistory, and Options.AlarmHistory requires it", s)
		}
		t.Skipf("%T does not implement overwatch.AlarmHistory", s)
	}
	return h
}

func events(t *testing.T, h overwatch.AlarmHistory, q overwatch.AlarmEventQuery) []overwatch.AlarmEvent {
	t.Helper()
	l, err := h.AlarmEvents(context.Background(), q)
	require.NoError(t, err, "%+v", q)
	out := []overwatch.AlarmEvent{}
	for _, e := range l {
		out = append(out, normEvent(e))
	}
	return out
}

func event(id string, run int, kind overwatch.AlarmEventKind, when time.Time, msg string) overwatch.AlarmEvent {
	sub, trend, name := splitID(id)
	return overwatch.AlarmEvent{AlarmID: id, Subsystem: sub, Trend: trend, Alarm: name, Run: run, Kind: kind, Time: when, Message: msg}
}

// splitID splits the suite's alarm IDs SYS/trend/alarm.
func splitID(id string) (string, string, string) {
	p := strings.SplitN(id, "/", 3)
	for len(p) < 3 {
		p = append(p, "")
	}
	return p[0], p[1], p[2]
}

func testHistoryCreate(t *testing.T, su *suite) {
	s := su.store(t).S
	h := su.history(t, s)
	ctx := context.Background()
	const id = "EMC/mean/high"
	fired := event(id, 300005, overwatch.AlarmEventFired, at(0), "mean 12 above 10")
	calls := 0
	rec, err := h.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		calls++
		assert.False(t, exists, "unknown alarm")
		assert.Equal(t, overwatch.AlarmRecord{ID: id}, *a, "an unknown alarm holds only its ID")
		a.Subsystem, a.Trend, a.Alarm = "EMC", "mean", "high"
		a.State, a.Message, a.Run, a.FiredAt, a.LastSeen = overwatch.AlarmFiring, fired.Message, 300005, at(0), at(0)
		return []overwatch.AlarmEvent{fired}, nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, calls, 1)
	want := overwatch.AlarmRecord{ID: id, Subsystem: "EMC", Trend: "mean", Alarm: "high", State: overwatch.AlarmFiring,
		Message: fired.Message, Run: 300005, FiredAt: at(0), LastSeen: at(0)}
	assert.Equal(t, want, normAlarm(rec), "UpdateAlarm returns the stored record")
	assert.Equal(t, want, alarm(t, s, id))
	assert.Equal(t, []string{id}, alarmIDs(t, s, overwatch.AlarmQuery{State: overwatch.AlarmFiring}))
	assert.Equal(t, []overwatch.AlarmEvent{fired}, events(t, h, overwatch.AlarmEventQuery{AlarmID: id}))

	ack := event(id, 300005, overwatch.AlarmEventAcknowledged, at(30), "")
	ack.User = "shifter"
	rec, err = h.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		assert.True(t, exists)
		assert.Equal(t, want, normAlarm(*a), "fn sees the stored record")
		a.AckedBy, a.AckedAt = "shifter", at(30)
		return []overwatch.AlarmEvent{ack}, nil
	})
	require.NoError(t, err)
	want.AckedBy, want.AckedAt = "shifter", at(30)
	assert.Equal(t, want, normAlarm(rec))
	assert.Equal(t, want, alarm(t, s, id))
	assert.Equal(t, []overwatch.AlarmEvent{fired, ack}, events(t, h, overwatch.AlarmEventQuery{AlarmID: id}))

	// An update without events changes the record only; PutAlarm'd alarms
	// are seen by UpdateAlarm.
	_, err = h.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
		a.LastSeen = at(90)
		return nil, nil
	})
	require.NoError(t, err)
	assert.True(t, alarm(t, s, id).LastSeen.Equal(at(90)))
	assert.Len(t, events(t, h, overwatch.AlarmEventQuery{AlarmID: id}), 2)
	put := overwatch.AlarmRecord{ID: "TPC/tracks/low", Subsystem: "TPC", Trend: "tracks", Alarm: "low", State: overwatch.AlarmResolved}
	require.NoError(t, s.PutAlarm(ctx, put))
	_, err = h.UpdateAlarm(ctx, put.ID, func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		assert.True(t, exists, "an alarm stored by PutAlarm exists")
		assert.Equal(t, put, normAlarm(*a))
		return nil, nil
	})
	require.NoError(t, err)
}

func testHistoryAbort(t *testing.T, su *suite) {
	s := su.store(t).S
	h := su.history(t, s)
	ctx := context.Background()
	boom := errors.New("storetest: fn refused")
	_, err := h.UpdateAlarm(ctx, "EMC/mean/high", func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
		a.State = overwatch.AlarmFiring
		return []overwatch.AlarmEvent{event("EMC/mean/high", 1, overwatch.AlarmEventFired, at(0), "")}, boom
	})
	assert.ErrorIs(t, err, boom)
	_, err = s.Alarm(ctx, "EMC/mean/high")
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "an aborted update stores no record")
	assert.Empty(t, events(t, h, overwatch.AlarmEventQuery{}), "an aborted update stores no event")

	prev := overwatch.AlarmRecord{ID: "EMC/mean/high", Subsystem: "EMC", Trend: "mean", Alarm: "high", State: overwatch.AlarmFiring, Message: "kept"}
	require.NoError(t, s.PutAlarm(ctx, prev))
	_, err = h.UpdateAlarm(ctx, prev.ID, func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
		a.Message, a.State = "changed", overwatch.AlarmResolved
		return []overwatch.AlarmEvent{event(prev.ID, 1, overwatch.AlarmEventResolved, at(1), "")}, boom
	})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, prev, alarm(t, s, prev.ID), "the previous record is intact")
	assert.Empty(t, events(t, h, overwatch.AlarmEventQuery{}))
}

func testHistoryConcurrent(t *testing.T, su *suite) {
	s := su.store(t).S
	h := su.history(t, s)
	ctx := context.Background()
	const id, workers, each = "EMC/mean/count", 8, 8
	var tick atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := h.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
					n := 0
					if exists {
						var err error
						if n, err = strconv.Atoi(a.Message); err != nil {
							return nil, fmt.Errorf("counter %q: %w", a.Message, err)
						}
					}
					a.Subsystem, a.Trend, a.Alarm, a.State = "EMC", "mean", "count", overwatch.AlarmFiring
					a.Message = strconv.Itoa(n + 1)
					when := at(int(tick.Add(1)))
					a.LastSeen = when
					return []overwatch.AlarmEvent{event(id, 1, overwatch.AlarmEventFired, when, a.Message)}, nil
				})
				if err != nil {
					t.Errorf("update: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, strconv.Itoa(workers*each), alarm(t, s, id).Message, "no update lost")
	evs := events(t, h, overwatch.AlarmEventQuery{AlarmID: id})
	var counts []int
	for _, e := range evs {
		n, _ := strconv.Atoi(e.Message)
		counts = append(counts, n)
	}
	slices.Sort(counts)
	want := make([]int, workers*each)
	for i := range want {
		want[i] = i + 1
	}
	assert.Equal(t, want, counts, "each counter value recorded by exactly one event")
}

func testHistoryEvents(t *testing.T, su *suite) {
	s := su.store(t).S
	h := su.history(t, s)
	ctx := context.Background()
	ids := []string{"EMC/mean/high", "EMC/max/high", "TPC/tracks/low"}
	var all []overwatch.AlarmEvent
	// Interleaved in time: event i of alarm j at second 3i+j, run 1 or 2.
	for i := 0; i < 6; i++ {
		for j, id := range ids {
			e := event(id, 1+i/3, overwatch.AlarmEventFired, at(3*i+j), fmt.Sprintf("%s #%d", id, i))
			if i%2 == 1 {
				e.Kind = overwatch.AlarmEventResolved
			}
			if i == 4 {
				e.Kind, e.User, e.Until = overwatch.AlarmEventSilenced, "expert", at(7200)
			}
			_, err := h.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
				a.Subsystem, a.Trend, a.Alarm = splitID(id)
				a.Run = e.Run
				return []overwatch.AlarmEvent{e}, nil
			})
			require.NoError(t, err)
			all = append(all, e)
		}
	}
	filter := func(keep func(e overwatch.AlarmEvent) bool) []overwatch.AlarmEvent {
		out := []overwatch.AlarmEvent{}
		for _, e := range all {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	assert.Equal(t, all, events(t, h, overwatch.AlarmEventQuery{}), "all events, oldest first, every field kept")
	assert.Equal(t, filter(func(e overwatch.AlarmEvent) bool { return e.AlarmID == ids[1] }), events(t, h, overwatch.AlarmEventQuery{AlarmID: ids[1]}))
	assert.Equal(t, filter(func(e overwatch.AlarmEvent) bool { return e.Subsystem == "EMC" }), events(t, h, overwatch.AlarmEventQuery{Subsystem: "EMC"}))
	assert.Equal(t, filter(func(e overwatch.AlarmEvent) bool { return e.Run == 2 }), events(t, h, overwatch.AlarmEventQuery{Run: 2}))
	inRange := func(e overwatch.AlarmEvent) bool { return !e.Time.Before(at(4)) && !e.Time.After(at(10)) }
	assert.Equal(t, filter(inRange), events(t, h, overwatch.AlarmEventQuery{From: at(4), To: at(10)}), "inclusive time range")
	assert.Equal(t, all[len(all)-4:], events(t, h, overwatch.AlarmEventQuery{Limit: 4}), "newest Limit, oldest first")
	tpc := filter(func(e overwatch.AlarmEvent) bool { return e.Subsystem == "TPC" && inRange(e) })
	assert.Equal(t, tpc[len(tpc)-2:], events(t, h, overwatch.AlarmEventQuery{Subsystem: "TPC", From: at(4), To: at(10), Limit: 2}))
	assert.Empty(t, events(t, h, overwatch.AlarmEventQuery{AlarmID: "HLT/none/none"}))
}
