package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func fire(run int, at time.Time, msg string) func(*overwatch.AlarmRecord, bool) ([]overwatch.AlarmEvent, error) {
	return func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		if !exists {
			a.Subsystem, a.Trend, a.Alarm = "EMC", "mean", "high"
		}
		a.State, a.Run, a.Message, a.FiredAt = overwatch.AlarmFiring, run, msg, at
		return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventFired, Run: run, Time: at, Message: msg}}, nil
	}
}

func TestUpdateAlarmHistory(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	at := func(sec int64) time.Time { return time.Unix(1448384700+sec, 0).UTC() }
	const id = "EMC/mean/high"

	// fn leaving an unknown alarm alone creates nothing; an error aborts.
	_, err := s.UpdateAlarm(ctx, id, func(*overwatch.AlarmRecord, bool) ([]overwatch.AlarmEvent, error) { return nil, nil })
	require.NoError(t, err)
	_, err = s.Alarm(ctx, id)
	require.ErrorIs(t, err, overwatch.ErrNotFound)
	boom := errors.New("boom")
	_, err = s.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
		a.State = overwatch.AlarmFiring
		return nil, boom
	})
	require.ErrorIs(t, err, boom)
	_, err = s.Alarm(ctx, id)
	require.ErrorIs(t, err, overwatch.ErrNotFound)

	rec, err := s.UpdateAlarm(ctx, id, fire(100, at(0), "too high"))
	require.NoError(t, err)
	assert.Equal(t, id, rec.ID)
	_, err = s.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, exists bool) ([]overwatch.AlarmEvent, error) {
		require.True(t, exists)
		assert.Equal(t, "too high", a.Message)
		a.AckedBy, a.AckedAt = "alice", at(5)
		return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventAcknowledged, Run: a.Run, Time: at(5), User: "alice"}}, nil
	})
	require.NoError(t, err)
	_, err = s.UpdateAlarm(ctx, id, fire(101, at(10), "still high"))
	require.NoError(t, err)
	_, err = s.UpdateAlarm(ctx, "HLT/rate/low", func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
		a.Subsystem, a.Trend, a.Alarm, a.State = "HLT", "rate", "low", overwatch.AlarmResolved
		return []overwatch.AlarmEvent{{Kind: overwatch.AlarmEventResolved, Run: 100, Time: at(3)}}, nil
	})
	require.NoError(t, err)

	check := func(s *Store) {
		t.Helper()
		all, err := s.AlarmEvents(ctx, overwatch.AlarmEventQuery{})
		require.NoError(t, err)
		require.Len(t, all, 4)
		kinds := []overwatch.AlarmEventKind{}
		for _, ev := range all {
			kinds = append(kinds, ev.Kind)
		}
		assert.Equal(t, []overwatch.AlarmEventKind{"fired", "resolved", "acknowledged", "fired"}, kinds, "oldest first")
		assert.Equal(t, "EMC", all[2].Subsystem, "filled from the record")
		assert.Equal(t, "high", all[2].Alarm)
		assert.Equal(t, id, all[2].AlarmID)
		assert.Equal(t, "alice", all[2].User)

		for _, tc := range []struct {
			q    overwatch.AlarmEventQuery
			want int
		}{
			{overwatch.AlarmEventQuery{Run: 100}, 3},
			{overwatch.AlarmEventQuery{Run: 101}, 1},
			{overwatch.AlarmEventQuery{Run: 102}, 0},
			{overwatch.AlarmEventQuery{Run: 100, Subsystem: "EMC"}, 2},
			{overwatch.AlarmEventQuery{AlarmID: "HLT/rate/low"}, 1},
			{overwatch.AlarmEventQuery{From: at(4), To: at(10)}, 2},
			{overwatch.AlarmEventQuery{Limit: 1}, 1},
		} {
			got, err := s.AlarmEvents(ctx, tc.q)
			require.NoError(t, err)
			assert.Len(t, got, tc.want, "%+v", tc.q)
		}
		last, _ := s.AlarmEvents(ctx, overwatch.AlarmEventQuery{Limit: 1})
		assert.Equal(t, 101, last[0].Run, "Limit keeps the newest")
		a, err := s.Alarm(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "alice", a.AckedBy)
		assert.Equal(t, 101, a.Run)
	}
	check(s)

	// The history survives a restart and a rebuild of the index.
	require.NoError(t, s.Close())
	s = openTest(t, dir)
	check(s)
	require.NoError(t, s.Close())
	require.NoError(t, os.Remove(filepath.Join(dir, sqliteFile)))
	s = openTest(t, dir)
	check(s)

	// A torn last line (crash during an append) is dropped and cut off;
	// later appends are readable.
	require.NoError(t, s.Close())
	j := filepath.Join(dir, alarmsDir, alarmEventsJournal)
	f, err := os.OpenFile(j, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"AlarmID":"EMC/mean/high","Kind":"fir`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	s = openTest(t, dir)
	check(s)
	_, err = s.UpdateAlarm(ctx, id, fire(102, at(20), "again"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s = openTest(t, dir)
	got, err := s.AlarmEvents(ctx, overwatch.AlarmEventQuery{Run: 102})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "again", got[0].Message)
}

// Concurrent read-modify-writes never lose one another (two writers
// changing different fields of one alarm, with PutAlarm in between).
func TestUpdateAlarmConcurrent(t *testing.T) {
	s := openTest(t, t.TempDir())
	ctx := context.Background()
	const id, n = "EMC/mean/high", 40
	_, err := s.UpdateAlarm(ctx, id, fire(1, time.Unix(1, 0), "0"))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				_, err := s.UpdateAlarm(ctx, id, func(a *overwatch.AlarmRecord, _ bool) ([]overwatch.AlarmEvent, error) {
					if w == 0 {
						k, _ := strconv.Atoi(a.Message)
						a.Message = strconv.Itoa(k + 1)
					} else {
						k, _ := strconv.Atoi(a.AckedBy)
						a.AckedBy = strconv.Itoa(k + 1)
					}
					return nil, nil
				})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	a, err := s.Alarm(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(n), a.Message)
	assert.Equal(t, strconv.Itoa(n), a.AckedBy)
}

// TestDeadWritersAlarmEventsIndexedByNextUpdate: a writer killed after
// appending its alarm events to the journal but before its transaction
// committed left lines the index lacks; the next alarm write, by any
// process, indexes them before it records the journal's new offset (found
// by processing's TestWorkersShareAndSurviveSIGKILL: the index lacked an
// event the rebuild had).
func TestDeadWritersAlarmEventsIndexedByNextUpdate(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	ctx := context.Background()
	at := func(sec int64) time.Time { return time.Unix(1448384700+sec, 0).UTC() }
	_, err := s.UpdateAlarm(ctx, "EMC/mean/high", fire(1, at(0), "first"))
	require.NoError(t, err)
	// What the dead writer appended: an event of another alarm.
	f, err := os.OpenFile(filepath.Join(dir, alarmsDir, alarmEventsJournal), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"AlarmID":"EMC/max/high","Subsystem":"EMC","Trend":"max","Alarm":"high","Run":2,"Kind":"fired","Time":"2015-11-24T17:05:30Z","Message":"dead"}` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = s.UpdateAlarm(ctx, "EMC/mean/high", fire(3, at(60), "third"))
	require.NoError(t, err)
	evs, err := s.AlarmEvents(ctx, overwatch.AlarmEventQuery{})
	require.NoError(t, err)
	var msgs []string
	for _, e := range evs {
		msgs = append(msgs, e.Message)
	}
	assert.Equal(t, []string{"first", "dead", "third"}, msgs)
	assertIndexEqualsRebuild(t, s)
}
