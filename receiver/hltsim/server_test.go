package hltsim

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestParseListen(t *testing.T) {
	tests := []struct {
		spec string
		n    int
		want []string
		ok   bool
	}{
		{"tcp://127.0.0.1:60321", 3, []string{"tcp://127.0.0.1:60321", "tcp://127.0.0.1:60322", "tcp://127.0.0.1:60323"}, true},
		{"tcp://127.0.0.1:0", 2, []string{"tcp://127.0.0.1:0", "tcp://127.0.0.1:0"}, true},
		{"ROUTER@tcp://127.0.0.1:5000", 1, []string{"tcp://127.0.0.1:5000"}, true},
		{"@tcp://*:5000,@tcp://*:6000", 2, []string{"tcp://*:5000", "tcp://*:6000"}, true},
		{"ipc:///tmp/m", 2, []string{"ipc:///tmp/m.0", "ipc:///tmp/m.1"}, true},
		{"tcp://[::1]:7000", 2, []string{"tcp://[::1]:7000", "tcp://[::1]:7001"}, true},
		{"tcp://a:1,tcp://b:2", 3, nil, false},
		{"tcp://a:65535", 2, nil, false},
		{"inproc://x", 1, nil, false},
		{"tcp://nohost", 1, nil, false},
		{"tcp://a:99999", 1, nil, false},
		{"", 1, nil, false},
		{"tcp://a:1", 0, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			got, err := ParseListen(tc.spec, tc.n)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestServer(t *testing.T, cfg Config) (*Server, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	cfg.Now = clk.Now
	cfg.Logger = quietLogger()
	s, err := New(cfg)
	require.NoError(t, err)
	return s, clk
}

// The run cycle follows the wall clock times Speed: run, stale, gap, next run.
func TestRunCycle(t *testing.T) {
	s, clk := newTestServer(t, Config{Subsystems: []string{"EMC"}, Speed: 60, FirstRun: 100,
		RunDuration: 10 * time.Minute, StaleDuration: time.Minute, GapDuration: 2 * time.Minute})
	steps := []struct {
		wall  time.Duration
		phase Phase
		run   int
	}{
		{0, PhaseRun, 100},
		{9 * time.Second, PhaseRun, 100},   // 9 simulated minutes
		{1 * time.Second, PhaseStale, 100}, // 10 min: the run ended
		{999 * time.Millisecond, PhaseStale, 100},
		{1 * time.Millisecond, PhaseGap, 0},   // 11 min: mergers reset
		{2 * time.Second, PhaseRun, 101},      // 13 min: next run
		{13 * time.Second * 3, PhaseRun, 104}, // three more full cycles
	}
	for i, st := range steps {
		clk.Add(st.wall)
		p, run := s.State()
		assert.Equal(t, st.phase, p, "step %d", i)
		assert.Equal(t, st.run, run, "step %d", i)
	}
	s.Advance(10 * time.Minute)
	p, run := s.State()
	assert.Equal(t, PhaseStale, p)
	assert.Equal(t, 104, run)
	assert.Equal(t, "stale", p.String())
}

// Between runs the reply is INFO "run=0" and nothing else.
func TestGapReply(t *testing.T) {
	s, _ := newTestServer(t, Config{Subsystems: []string{"EMC", "HLT"}, RunDuration: time.Minute,
		StaleDuration: -1, GapDuration: time.Hour})
	s.Advance(2 * time.Minute)
	p, _ := s.State()
	require.Equal(t, PhaseGap, p)
	frames, err := s.Reply("EMC", nil)
	require.NoError(t, err)
	require.Len(t, frames, 2)
	assert.Equal(t, hltwire.InfoTopic().Marshal(), frames[0])
	assert.Equal(t, "run=0", string(frames[1]))
	_, err = s.Reply("XYZ", nil)
	require.ErrorIs(t, err, ErrUnknownSubsystem)
	assert.Equal(t, int64(2), s.Requests())

	// A merger that never sent an object answers a schema request with an
	// empty TObjArray, as the real one does.
	frames, err = s.Reply("HLT", hltwire.ParseOptions("-SchemaOnRequest"))
	require.NoError(t, err)
	require.Len(t, frames, 4)
	assert.True(t, hltwire.ParseTopic(frames[0]).HasID(hltwire.IDStreamers))
	require.NoError(t, hltwire.NewStreamers().AddTMessage(frames[1]))
}

func TestApplyOptions(t *testing.T) {
	s, _ := newTestServer(t, Config{Subsystems: []string{"EMC"}})
	m := s.mergers["EMC"]
	names := []string{"EMCTRQA_histFastORL0", "EMCTRQA_histFastORL1", "hClusterEnergy", "TPCQA/h_x"}
	tests := []struct {
		opts   string
		want   []string
		reset  bool
		schema bool
	}{
		{"", names, false, false},
		{" -select=EMC.* -SchemaOnRequest", names[:2], false, true},
		{" -select=L1", names[1:2], false, false},
		{" -unselect=^EMC", names[2:], false, false},
		{" -select=EMC -unselect=L0", names[1:2], false, false},
		{" -list=Cluster,h_x", names[2:], false, false},
		{" -select=( -ResetOnRequest", nil, true, false},
		{" -ResetOnRequest=0", names, false, false},
		{" -ResetOnRequest -UnSelect=EMC -SchemaOnRequest", names, true, false}, // unknown option stops parsing
	}
	for _, tc := range tests {
		t.Run(tc.opts, func(t *testing.T) {
			r := s.applyOptions(m, hltwire.ParseOptions(tc.opts))
			var got []string
			for _, n := range names {
				if r.selected(n) {
					got = append(got, n)
				}
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.reset, r.reset)
			assert.Equal(t, tc.schema, r.schema)
		})
	}
	s.applyOptions(m, hltwire.ParseOptions("-SchemaOnSend -ResetOnSend=1 -AllowResetOnRequest=0"))
	assert.True(t, m.schemaOnSend)
	assert.True(t, m.resetOnSend)
	assert.False(t, m.allowReset)
}

func TestNewRejects(t *testing.T) {
	_, err := New(Config{Subsystems: []string{"emc"}, Logger: quietLogger()})
	require.Error(t, err)
	_, err = New(Config{Subsystems: []string{"EMC", "TPC"}, Listen: []string{"tcp://127.0.0.1:0"}, Logger: quietLogger()})
	require.Error(t, err)
}
