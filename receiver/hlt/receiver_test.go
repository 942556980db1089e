package hlt

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/receiver"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"REQ>tcp://localhost:60321", "tcp://localhost:60321", true},
		{"  REQ>tcp://localhost:60321\n", "tcp://localhost:60321", true},
		{"REQ-tcp://a:1", "tcp://a:1", true},
		{"REQ+tcp://a:1", "tcp://a:1", true},
		{"tcp://my-host:1", "tcp://my-host:1", true},
		{"REQ>tcp://my-host:1", "tcp://my-host:1", true},
		{"REQ>ipc:///tmp/x", "ipc:///tmp/x", true},
		{"SUB>tcp://localhost:60201", "", false},
		{"REQ@tcp://*:1", "", false},
		{">tcp://a:1", "", false},
		{"REQ>tcp://a:1,>tcp://b:2", "", false},
		{"REQ>inproc://x", "", false},
		{"", "", false},
		{"REQ", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseEndpoint(tc.in)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestBackoff(t *testing.T) {
	max := 10 * time.Second
	want := []time.Duration{0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, max, max}
	for n, w := range want {
		assert.Equal(t, w, backoff(n, max), "failures=%d", n)
	}
	assert.Equal(t, max, backoff(1000, max))
}

func TestRunRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	sink := DropSink{Dir: t.TempDir()}
	for _, cfg := range []Config{
		{Endpoint: "SUB>tcp://a:1", Subsystem: "EMC"},
		{Endpoint: "REQ>tcp://a:1", Subsystem: "emc"},
		{Endpoint: "REQ>tcp://a:1", Subsystem: "EMC", Select: "x\n-reset"},
	} {
		cfg.Logger = quietLogger()
		require.Error(t, New(cfg, sink).Run(ctx), "%+v", cfg)
	}
	require.Error(t, New(Config{Endpoint: "REQ>tcp://a:1", Subsystem: "EMC", Logger: quietLogger()}, nil).Run(ctx))
}

// fakeMerger is a ROUTER socket answering requests with canned replies. It
// drops the requests for which reply returns nil (to force timeouts) and
// records every request's frames.
type fakeMerger struct {
	addr  string
	mu    sync.Mutex
	reqs  [][][]byte
	reply func(n int, req [][]byte) [][]byte
}

func startFakeMerger(t *testing.T, ctx context.Context, reply func(n int, req [][]byte) [][]byte) *fakeMerger {
	return startFakeMergerAt(t, ctx, "tcp://127.0.0.1:0", reply)
}

func startFakeMergerAt(t *testing.T, ctx context.Context, addr string, reply func(n int, req [][]byte) [][]byte) *fakeMerger {
	t.Helper()
	sock := zmq4.NewRouter(ctx)
	require.NoError(t, sock.Listen(addr))
	f := &fakeMerger{addr: "tcp://" + sock.Addr().String(), reply: reply}
	go func() {
		defer sock.Close()
		for {
			msg, err := sock.Recv()
			if err != nil {
				return
			}
			id, body := msg.Frames[0], msg.Frames[2:] // REQ envelope: identity, delimiter
			f.mu.Lock()
			n := len(f.reqs)
			f.reqs = append(f.reqs, body)
			f.mu.Unlock()
			rep := f.reply(n, body)
			if rep == nil {
				continue
			}
			_ = sock.Send(zmq4.NewMsgFrom(append([][]byte{id, {}}, rep...)...))
		}
	}()
	return f
}

func (f *fakeMerger) requests() [][][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][][]byte(nil), f.reqs...)
}

type recordingSink struct {
	mu    sync.Mutex
	metas []overwatch.SnapshotMeta
}

func (s *recordingSink) Put(_ context.Context, meta overwatch.SnapshotMeta, entries []overwatch.Entry) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.metas = append(s.metas, meta)
	return fmt.Sprintf("snap%d", len(s.metas)), nil
}

// TestReceiverTimeoutRecreatesSocket: the merger ignores the first request;
// the receiver re-creates its socket, asks again (still for the schema, as
// no reply came), gets a run-0 reply, stores nothing, and stops at once on
// cancellation. The heartbeat is written on every loop, and handed to
// Config.Status with the data status.
func TestReceiverTimeoutRecreatesSocket(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fm := startFakeMerger(t, ctx, func(n int, req [][]byte) [][]byte {
		if n == 0 {
			return nil
		}
		return hltwire.Reply{Info: []byte("run=0")}.Frames()
	})
	dir := t.TempDir()
	sink := &recordingSink{}
	var statusMu sync.Mutex
	var beats []time.Time
	r := New(Config{Endpoint: "REQ>" + fm.addr, Subsystem: "EMC", DataDir: dir, Select: "EMC.*",
		Timeout: 300 * time.Millisecond, Sleep: 50 * time.Millisecond, Logger: quietLogger(),
		Status: func(now time.Time, ds receiver.DataStatus) {
			statusMu.Lock()
			defer statusMu.Unlock()
			beats = append(beats, now)
			assert.Zero(t, ds.Run, "the merger reports no run")
		}}, sink)
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.Eventually(t, func() bool { return len(fm.requests()) >= 3 }, 10*time.Second, 10*time.Millisecond)
	statusMu.Lock()
	assert.GreaterOrEqual(t, len(beats), 3, "the status goes with every heartbeat")
	statusMu.Unlock()
	st := r.Stats()
	assert.GreaterOrEqual(t, st.Timeouts, int64(1))
	assert.GreaterOrEqual(t, st.NoRun, int64(1))
	assert.Zero(t, st.Written)

	reqs := fm.requests()
	for i, q := range reqs[:3] {
		require.Len(t, q, 4, "request %d is one 4-frame message", i)
		assert.Equal(t, hltwire.ConfigTopic().Marshal(), q[0])
		assert.Equal(t, hltwire.EmptyTopic().Marshal(), q[2])
		assert.Empty(t, q[3])
	}
	assert.Equal(t, " -select=EMC.* -SchemaOnRequest", string(reqs[0][1]))
	assert.Equal(t, " -select=EMC.* -SchemaOnRequest", string(reqs[1][1]), "schema still wanted after a timeout")
	assert.Equal(t, " -select=EMC.*", string(reqs[2][1]), "schema only until a reply came")

	hb, err := heartbeat.ReadFile(filepath.Join(dir, "heartbeat.EMCReceiver"))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), hb, 5*time.Second)

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
		assert.Less(t, time.Since(start), time.Second, "stops at once")
	case <-time.After(5 * time.Second):
		t.Fatal("receiver did not stop")
	}
	assert.Empty(t, sink.metas)
}

// TestReceiverDeadMerger: nothing listens; the receiver keeps retrying with
// back-off, keeps writing its heartbeat and stops at once.
func TestReceiverDeadMerger(t *testing.T) {
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	r := New(Config{Endpoint: "REQ>tcp://127.0.0.1:1", Subsystem: "TPC", DataDir: dir,
		Timeout: 100 * time.Millisecond, BackoffMax: 200 * time.Millisecond, Logger: quietLogger()}, &recordingSink{})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.Eventually(t, func() bool { return r.Stats().Timeouts >= 3 }, 10*time.Second, 10*time.Millisecond)
	_, err := os.Stat(filepath.Join(dir, "heartbeat.TPCReceiver"))
	require.NoError(t, err)
	start := time.Now()
	cancel()
	require.NoError(t, <-done)
	assert.Less(t, time.Since(start), time.Second)
	// No goroutine is left behind by abandoned round trips (polled by
	// hand: assert.Eventually runs goroutines of its own).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), base, "goroutines left behind")
}

func TestDecoderHostilePayloads(t *testing.T) {
	dec := NewDecoder()
	frames := [][]byte{
		hltwire.InfoTopic().Marshal(), []byte("run=5;HLT_MODE=C"),
		hltwire.ObjectTopic().Marshal(), []byte("not a TMessage"),
		hltwire.ObjectTopic().Marshal(), {},
		hltwire.ObjectTopic().Marshal(), {0x22, 0, 0, 0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff},
		hltwire.InfoTopic().Marshal(), // dangling topic
	}
	// A NONE payload is "not ROOT" and must not be decoded.
	none := hltwire.NewTopic(hltwire.IDObject, "HLT ", hltwire.SerializationNONE).Marshal()
	frames = append(frames[:len(frames)-1], none, []byte("x"), frames[len(frames)-1])
	d := dec.Decode(frames)
	assert.True(t, d.HasInfo)
	assert.Equal(t, 5, d.Info.Run)
	assert.Equal(t, 3, d.Failed)
	assert.Equal(t, 1, d.NotROOT)
	assert.True(t, d.NeedSchema)
	assert.Empty(t, d.Entries)
	require.NotEmpty(t, d.Errs)
	assert.ErrorIs(t, d.Errs[0], hltwire.ErrFraming)

	d = dec.Decode([][]byte{hltwire.StreamersTopic().Marshal(), []byte("garbage")})
	assert.Zero(t, d.Streamers)
	assert.False(t, d.HasInfo)
	require.Len(t, d.Errs, 1)
	assert.True(t, strings.Contains(d.Errs[0].Error(), "streamer"))
}

// TestReceiverLegacyTopics: with LegacyTopics the request uses G1 raw
// string topics.
func TestReceiverLegacyTopics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fm := startFakeMerger(t, ctx, func(n int, req [][]byte) [][]byte {
		return [][]byte{[]byte("INFO"), []byte("run=0")}
	})
	r := New(Config{Endpoint: fm.addr, Subsystem: "EMC", LegacyTopics: true, Sleep: time.Hour,
		Timeout: 5 * time.Second, Logger: quietLogger()}, &recordingSink{})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.Eventually(t, func() bool { return r.Stats().NoRun == 1 }, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	reqs := fm.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, [][]byte{[]byte("CONFIG"), []byte(" -SchemaOnRequest"), {}, {}}, reqs[0])
}

// TestReceiverMergerRestart: the merger goes away and comes back on the
// same port; the receiver re-creates its socket and carries on.
func TestReceiverMergerRestart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reply := func(n int, req [][]byte) [][]byte { return hltwire.Reply{Info: []byte("run=0")}.Frames() }
	mctx, mcancel := context.WithCancel(ctx)
	fm := startFakeMerger(t, mctx, reply)
	r := New(Config{Endpoint: fm.addr, Subsystem: "EMC", Sleep: 10 * time.Millisecond,
		Timeout: 200 * time.Millisecond, BackoffMax: 100 * time.Millisecond, Logger: quietLogger()}, &recordingSink{})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.Eventually(t, func() bool { return r.Stats().Replies >= 2 }, 10*time.Second, 5*time.Millisecond)
	mcancel()
	require.Eventually(t, func() bool { return r.Stats().Timeouts >= 2 }, 10*time.Second, 5*time.Millisecond)
	replies := r.Stats().Replies
	fm2 := startFakeMergerAt(t, ctx, fm.addr, reply)
	require.Eventually(t, func() bool { return len(fm2.requests()) >= 2 && r.Stats().Replies >= replies+2 },
		10*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}
