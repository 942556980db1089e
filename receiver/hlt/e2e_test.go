package hlt

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim"
	"github.com/overwatch-dqm/overwatch/store"
)

func startSim(t *testing.T, ctx context.Context, cfg hltsim.Config) *hltsim.Server {
	t.Helper()
	cfg.Logger = quietLogger()
	if cfg.Listen == nil {
		for range cfg.Subsystems {
			cfg.Listen = append(cfg.Listen, "tcp://127.0.0.1:0")
		}
	}
	srv, err := hltsim.New(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Listen(ctx))
	go func() { _ = srv.Serve(ctx) }()
	return srv
}

// TestReceiverAgainstSimulator runs our receiver against our simulator
// through a whole run cycle: snapshots of a live run go to the store with
// growing content (the TPC's TH3D included), the stale content served after
// the end of the run is stored once and then suppressed as duplicate, run 0
// between runs stores nothing, and the next run gets its own snapshots.
func TestReceiverAgainstSimulator(t *testing.T) {
	requireCodec(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startSim(t, ctx, hltsim.Config{Subsystems: []string{"EMC", "TPC"}, Seed: 7, FirstRun: 123,
		RunDuration: time.Hour, StaleDuration: 10 * time.Minute, GapDuration: 10 * time.Minute})
	st, err := store.Open(t.TempDir(), store.Options{Logger: quietLogger()})
	require.NoError(t, err)
	defer st.Close()

	// A selection keeps the replies small (one TH3D, two TH1D) and the test fast.
	r := New(Config{Endpoint: "REQ>" + srv.Endpoints()["TPC"], Subsystem: "TPC",
		Select: "track_all_recvertex_0_5_6$|event_recvertex_[01]$", Sleep: 20 * time.Millisecond, Timeout: 10 * time.Second, Logger: quietLogger()}, StoreSink{Store: st})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	advanceEach := func(d time.Duration) { // keep the histograms growing between requests
		srv.Advance(d)
		time.Sleep(5 * time.Millisecond)
	}
	for r.Stats().Written < 3 {
		advanceEach(time.Second)
	}
	assert.Positive(t, r.Stats().Streamers, "SchemaOnRequest answered with ROOTSTRI and applied")
	snaps, err := st.Snapshots(ctx, 123, "TPC")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(snaps), 3)
	const th3 = "TPCQA/h_tpc_track_all_recvertex_0_5_6"
	entries := func(s overwatch.SnapshotInfo) (float64, *overwatch.File) {
		rc, err := st.OpenSnapshot(ctx, s.SnapshotRef)
		require.NoError(t, err)
		defer rc.Close()
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		f, err := overwatch.DecodeFile(b)
		require.NoError(t, err)
		h := f.Hist(th3)
		require.NotNil(t, h, "TH3D %s in the snapshot", th3)
		assert.Equal(t, overwatch.ClassTH3D, h.Class)
		return h.Entries, f
	}
	first, f := entries(snaps[0])
	last, _ := entries(snaps[len(snaps)-1])
	assert.Greater(t, last, first, "cumulative content grows")
	require.Len(t, f.Entries, 3)
	for _, e := range f.Entries {
		assert.True(t, strings.HasPrefix(e.Path(), "TPCQA/"), "TPC keys: %s", e.Path())
		assert.NotEqual(t, "TObjArray", e.Object.ClassName(), "the streamer infos are not stored as data")
	}

	// End of run: the stale content is stored at most once more.
	srv.Advance(time.Hour)
	require.Eventually(t, func() bool { return r.Stats().Duplicates >= 2 }, 10*time.Second, 5*time.Millisecond)
	w := r.Stats().Written
	d := r.Stats().Duplicates
	require.Eventually(t, func() bool { return r.Stats().Duplicates >= d+3 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, w, r.Stats().Written, "identical replies after the end of the run are not stored")

	// Between runs: run 0, nothing stored.
	srv.Advance(10 * time.Minute)
	n := r.Stats().NoRun
	require.Eventually(t, func() bool { return r.Stats().NoRun >= n+2 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, w, r.Stats().Written)

	// The next run.
	srv.Advance(10 * time.Minute)
	require.Eventually(t, func() bool {
		s, err := st.Snapshots(ctx, 124, "TPC")
		return err == nil && len(s) >= 1
	}, 10*time.Second, 5*time.Millisecond)

	cancel()
	require.NoError(t, <-done)
}

// TestReceiverSelectDrop: a selection reaches the merger and only matching
// objects come back; files go to a drop folder with receiver names.
func TestReceiverSelectDrop(t *testing.T) {
	requireCodec(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := startSim(t, ctx, hltsim.Config{Subsystems: []string{"EMC"}, Seed: 3, FirstRun: 77, Mode: "C"})
	srv.Advance(time.Minute)
	dir := t.TempDir()
	r := New(Config{Endpoint: srv.Endpoints()["EMC"], Subsystem: "EMC", DataDir: dir, Select: "FastORL[01]$",
		Sleep: time.Hour, Timeout: 10 * time.Second, Logger: quietLogger()}, DropSink{Dir: dir})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.Eventually(t, func() bool { return r.Stats().Written == 1 }, 20*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	name := r.Stats().LastWritten
	n, err := store.ParseReceiverName(name)
	require.NoError(t, err)
	assert.Equal(t, 77, n.Run)
	assert.Equal(t, overwatch.ModeCompress, n.Mode)
	f, err := overwatch.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	var keys []string
	for _, e := range f.Entries {
		keys = append(keys, e.Path())
	}
	assert.Equal(t, []string{"EMCTRQA_histFastORL0", "EMCTRQA_histFastORL1"}, keys)
	_, err = os.Stat(filepath.Join(dir, "heartbeat.EMCReceiver"))
	require.NoError(t, err)
}

// TestDropSinkSameSecond: two snapshots in the same second get distinct
// names that the store's grammar reads back, none overwritten.
func TestDropSinkSameSecond(t *testing.T) {
	requireCodec(t)
	dir := t.TempDir()
	sink := DropSink{Dir: dir}
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "", overwatch.NewAxis(10, 0, 1))
	meta := overwatch.SnapshotMeta{Run: 290222, Subsystem: "EMC", Mode: overwatch.ModeNoCompress,
		Time: time.Date(2018, 10, 22, 7, 53, 5, 0, time.UTC)}
	var names []string
	for i := 0; i < 3; i++ {
		h.Entries = float64(i)
		name, err := sink.Put(context.Background(), meta, []overwatch.Entry{{Key: "h", Object: h}})
		require.NoError(t, err)
		names = append(names, name)
	}
	// 07:53:05 UTC is 09:53:05 in Zurich (summer time), written unpadded.
	assert.Equal(t, []string{
		"EMChistos_290222_B_2018_10_22_9_53_5.root",
		"EMChistos_290222_B_2018_10_22_9_53_5.1.root",
		"EMChistos_290222_B_2018_10_22_9_53_5.2.root",
	}, names)
	for i, name := range names {
		n, err := store.ParseReceiverName(name)
		require.NoError(t, err)
		assert.Equal(t, i, n.Seq)
		assert.True(t, n.Time.Equal(meta.Time))
		f, err := overwatch.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, float64(i), f.Hist("h").Entries, "no file overwritten")
	}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 3, "no temporary files left")
}

// TestDropFolderIngest: the drop folder a DropSink fills (files, same-second
// suffixes, the heartbeat) is ingested by the store like the C++
// receiver's.
func TestDropFolderIngest(t *testing.T) {
	requireCodec(t)
	ctx := context.Background()
	drop := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(drop, "heartbeat.EMCReceiver"), []byte("1"), 0o644))
	sink := DropSink{Dir: drop}
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "EMCTRQA_histEvents", "", overwatch.NewAxis(5, 0, 5))
	meta := overwatch.SnapshotMeta{Run: 300001, Subsystem: "EMC", Mode: overwatch.ModeNoCompress,
		Time: time.Now().Add(-time.Minute).Truncate(time.Second)}
	for i := 0; i < 2; i++ {
		h.Contents[1] = float64(i) // identical objects would be a duplicate
		_, err := sink.Put(ctx, meta, []overwatch.Entry{{Key: h.Name, Object: h}})
		require.NoError(t, err)
	}
	st, err := store.Open(t.TempDir(), store.Options{Logger: quietLogger(), IngestSettle: time.Nanosecond})
	require.NoError(t, err)
	defer st.Close()
	time.Sleep(10 * time.Millisecond)
	_, err = st.Ingest(ctx, drop)
	require.NoError(t, err)
	snaps, err := st.Snapshots(ctx, 300001, "EMC")
	require.NoError(t, err)
	require.Len(t, snaps, 2, "both same-second files ingested")
	assert.True(t, snaps[0].Time.Equal(meta.Time))
	_, err = os.Stat(filepath.Join(drop, "heartbeat.EMCReceiver"))
	require.NoError(t, err, "the heartbeat is left alone")
}
