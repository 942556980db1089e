package monitor

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeHB(t *testing.T, dir, sys string, v int64) {
	t.Helper()
	require.NoError(t, os.WriteFile(heartbeat.Path(dir, sys), []byte(strconv.FormatInt(v, 10)), 0o644))
}

// §10.2 item 2: the five scenarios, two iterations each; "now" is the EMC
// heartbeat plus an offset.
func TestHeartbeatScenarios(t *testing.T) {
	for _, c := range []struct {
		name           string
		emc, hlt       [2]int64
		offset         int64
		dead1, dead2   []string
		revivedAtSecnd bool
	}{
		{"alive", [2]int64{1000, 1020}, [2]int64{1010, 1030}, 100, nil, nil, false},
		{"both dead", [2]int64{1000, 1020}, [2]int64{1010, 1030}, 320, []string{"EMC", "HLT"}, []string{"EMC", "HLT"}, false},
		{"HLT in the future", [2]int64{1010, 1030}, [2]int64{2020, 2040}, 100, []string{"HLT"}, []string{"HLT"}, false},
		{"HLT dies", [2]int64{1010, 1030}, [2]int64{1020, 2040}, 100, nil, []string{"HLT"}, false},
		{"HLT revives", [2]int64{1010, 1030}, [2]int64{2020, 1040}, 100, []string{"HLT"}, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			var alerts []Alert
			now := time.Unix(0, 0)
			m := &Monitor{
				DataDir: dir, Subsystems: []string{"EMC", "HLT"},
				Alerter: AlerterFunc(func(_ context.Context, a Alert) { alerts = append(alerts, a) }),
				Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
				Now:     func() time.Time { return now },
			}
			for i, want := range [][]string{c.dead1, c.dead2} {
				writeHB(t, dir, "EMC", c.emc[i])
				writeHB(t, dir, "HLT", c.hlt[i])
				now = time.Unix(c.emc[i]+c.offset, 0)
				got := m.Check(context.Background())
				if want == nil {
					want = []string{}
				}
				assert.Equal(t, want, got, "iteration %d", i)
			}
			var revived bool
			for _, a := range alerts {
				revived = revived || a.State == StateRevived
			}
			assert.Equal(t, c.revivedAtSecnd, revived)
		})
	}
}

func TestDeadAlertOnceThenHourlyReminder(t *testing.T) {
	dir := t.TempDir()
	var alerts []Alert
	now := time.Date(2026, 1, 1, 10, 58, 0, 0, time.UTC)
	m := &Monitor{DataDir: dir, Subsystems: []string{"TPC"},
		Alerter: AlerterFunc(func(_ context.Context, a Alert) { alerts = append(alerts, a) }),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	for i := 0; i < 4; i++ { // 10:58, 10:59, 11:00, 11:01
		m.Check(context.Background())
		now = now.Add(time.Minute)
	}
	require.Len(t, alerts, 2)
	assert.Equal(t, StateDead, alerts[0].State)
	assert.Equal(t, "TPC receiver has had no heart beat for 5 minutes!", alerts[0].Message)
	assert.Equal(t, int64(-1), alerts[0].Heartbeat)
	assert.Equal(t, StateReminder, alerts[1].State)
	assert.Equal(t, 0, alerts[1].Time.Minute())
}

func TestRunStopsWithContext(t *testing.T) {
	m := &Monitor{DataDir: t.TempDir(), Subsystems: []string{"EMC"}, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Alerter: AlerterFunc(func(context.Context, Alert) {})}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, m.Run(ctx, 0, 10*time.Millisecond))
	assert.Error(t, m.Run(ctx, 0, 0))
}
