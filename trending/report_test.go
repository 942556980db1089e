package trending

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestReportUsesTheAlarmLifecycle(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	var got [][]Notification
	d := NewDispatcher([]Notifier{recorder{fn: func(b []Notification) { got = append(got, b) }}}, NotifyConfig{}, quietLog())
	defer d.Close()
	m, err := NewManager(st, Config{Recipients: []string{"shift@example.org"}, NotifyResolved: true}, d, quietLog())
	require.NoError(t, err)
	t0 := time.Unix(5000, 0)
	id := AlarmID("TRT", "quality", "Bad")

	require.NoError(t, m.Report(ctx, "TRT", "quality", "Bad", "", false, "", 7, t0), "resolving an alarm that never fired")
	_, err = st.Alarm(ctx, id)
	require.ErrorIs(t, err, overwatch.ErrNotFound)

	require.NoError(t, m.Report(ctx, "TRT", "quality", "Bad", "", true, "TRT Bad for 3 snapshots", 7, t0.Add(time.Minute)))
	require.NoError(t, m.Report(ctx, "TRT", "quality", "Bad", "", true, "TRT Bad for 4 snapshots", 7, t0.Add(2*time.Minute)))
	rec, err := st.Alarm(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, overwatch.AlarmFiring, rec.State)
	assert.True(t, t0.Add(time.Minute).Equal(rec.FiredAt), "%v", rec.FiredAt)
	assert.Equal(t, "TRT Bad for 4 snapshots", rec.Message)
	m.EndCycle(ctx)

	require.NoError(t, m.Report(ctx, "TRT", "quality", "Bad", "", false, "", 7, t0.Add(3*time.Minute)))
	rec, err = st.Alarm(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, overwatch.AlarmResolved, rec.State)
	m.EndCycle(ctx)
	require.NoError(t, d.Wait(ctx))
	require.Len(t, got, 2, "fired once, resolved once")
	assert.Equal(t, overwatch.AlarmFiring, got[0][0].State)
	assert.Equal(t, []string{"shift@example.org"}, got[0][0].Recipients)
	assert.Equal(t, overwatch.AlarmResolved, got[1][0].State)
}
