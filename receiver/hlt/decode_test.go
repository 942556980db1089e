package hlt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/receiver/hltwire"
	"github.com/overwatch-dqm/overwatch/store"
)

// workedExampleReply is the protocol spec's worked example (§6): INFO and
// one TH1F, with the length word little-endian (or big-endian).
func workedExampleReply(t testing.TB, bigEndian bool) [][]byte {
	msg := workedExampleTH1F(t)
	if bigEndian {
		msg = bytes.Clone(msg)
		binary.BigEndian.PutUint32(msg, uint32(len(msg)-4))
	}
	return hltwire.Reply{Info: []byte("run=290222;HLT_MODE=B;BEAM_TYPE=p-p"), Objects: [][]byte{msg}}.Frames()
}

func TestDecodeWorkedExample(t *testing.T) {
	requireCodec(t)
	for _, be := range []bool{false, true} {
		d := NewDecoder().Decode(workedExampleReply(t, be))
		require.Empty(t, d.Errs)
		assert.True(t, d.HasInfo)
		assert.Equal(t, 290222, d.Info.Run)
		assert.Equal(t, "B", d.Info.Mode)
		require.Len(t, d.Entries, 1)
		h, ok := d.Entries[0].Object.(*overwatch.Hist)
		require.True(t, ok)
		assert.Equal(t, "hTest", d.Entries[0].Key)
		assert.Equal(t, "Test", h.Title)
		assert.Equal(t, overwatch.ClassTH1F, h.Class)
		assert.Equal(t, 4.0, h.Entries)
		assert.Equal(t, []float64{0, 1, 2, 1, 0, 0}, h.Contents)
		assert.Equal(t, []float64{0, 1, 2, 1, 0, 0}, h.Sumw2)
		assert.False(t, d.NeedSchema)
	}
}

// encodeReply turns a generator snapshot into the frames of a merger reply.
func encodeReply(t testing.TB, info string, entries []overwatch.Entry) [][]byte {
	rep := hltwire.Reply{Info: []byte(info)}
	for _, e := range entries {
		msg, err := hltwire.EncodeTMessage(e.Object, hltwire.TMessageOptions{LittleEndianLength: true})
		require.NoError(t, err)
		rep.Objects = append(rep.Objects, msg)
	}
	return rep.Frames()
}

// Corrupted payloads (bit flips, truncations, bad length words) are
// counted and skipped; the good objects of the same reply survive; the
// decoder never panics.
func TestDecodeCorruptedPayloads(t *testing.T) {
	requireCodec(t)
	good := workedExampleTH1F(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		bad := bytes.Clone(good)
		switch i % 4 {
		case 0:
			for k := 0; k < 1+rng.IntN(4); k++ {
				bad[8+rng.IntN(len(bad)-8)] ^= byte(1 << rng.IntN(8))
			}
		case 1:
			bad = bad[:rng.IntN(len(bad))]
		case 2:
			binary.LittleEndian.PutUint32(bad, rng.Uint32())
		case 3:
			binary.BigEndian.PutUint32(bad[8+4*rng.IntN(10):], rng.Uint32())
		}
		frames := hltwire.Reply{Info: []byte("run=1"), Objects: [][]byte{bad, good}}.Frames()
		d := NewDecoder().Decode(frames)
		require.Equal(t, 2, d.Failed+len(d.Entries)+d.Duplicates, "case %d", i)
		require.GreaterOrEqual(t, len(d.Entries), 1, "the good object survives (case %d)", i)
	}
}

func TestHandleReplyRules(t *testing.T) {
	requireCodec(t)
	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"HLT"}, Run: 5})
	g.Advance(time.Minute)
	entries := g.Snapshot("HLT")[:3]
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tick := func() time.Time { now = now.Add(time.Second); return now }
	type step struct {
		info    string
		objs    []overwatch.Entry
		stored  bool
		comment string
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"cumulative", Config{}, []step{
			{"run=5;HLT_MODE=B", entries, true, "first snapshot"},
			{"run=5;HLT_MODE=B", entries, false, "identical content after the end of the run"},
			{"run=5;HLT_MODE=B", entries[:2], true, "content changed"},
			{"run=6;HLT_MODE=B", entries[:2], true, "same content, new run"},
			{"run=0", entries, false, "run 0"},
			{"", entries, false, "empty INFO (merger without INFO yet)"},
			{"run=7", nil, false, "no objects"},
			{"run=-3", entries, false, "negative run"},
		}},
		{"keep duplicates", Config{KeepDuplicates: true}, []step{
			{"run=5", entries, true, ""},
			{"run=5", entries, true, ""},
		}},
		{"reset mode keeps identical increments", Config{ResetOnRequest: true}, []step{
			{"run=5", entries, true, ""},
			{"run=5", entries, true, ""},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := &recordingSink{}
			tc.cfg.Subsystem, tc.cfg.Logger, tc.cfg.Now = "HLT", quietLogger(), tick
			r := New(tc.cfg, sink)
			for i, s := range tc.steps {
				where := r.HandleReply(context.Background(), encodeReply(t, s.info, s.objs))
				assert.Equal(t, s.stored, where != "", "step %d: %s", i, s.comment)
			}
		})
	}
	// A reply without any INFO pair is never filed under a stale run.
	sink := &recordingSink{}
	r := New(Config{Subsystem: "HLT", Logger: quietLogger()}, sink)
	frames := encodeReply(t, "run=5", entries)
	assert.NotEmpty(t, r.HandleReply(context.Background(), frames))
	assert.Empty(t, r.HandleReply(context.Background(), frames[2:]), "no INFO pair")
	assert.Equal(t, int64(1), r.Stats().NoRun)
}

func TestHandleReplyModeAndSource(t *testing.T) {
	requireCodec(t)
	h := overwatch.MustNewHist(overwatch.ClassTH1D, "h", "", overwatch.NewAxis(3, 0, 3))
	ents := []overwatch.Entry{{Key: "h", Object: h}}
	for _, tc := range []struct {
		info  string
		reset bool
		mode  overwatch.HLTMode
		src   string
		cfg   overwatch.Accumulation // Config.Accumulation
		acc   overwatch.Accumulation // recorded
	}{
		{"run=1;HLT_MODE=C", false, overwatch.ModeCompress, "hlt", "", overwatch.Cumulative},
		{"run=1;HLT_MODE=e", false, overwatch.ModeReplay, "hlt", overwatch.Reset, overwatch.Reset},
		{"run=1", false, overwatch.ModeUnknown, "hlt", overwatch.Cumulative, overwatch.Cumulative},
		{"run=1;HLT_MODE=Z", false, overwatch.ModeUnknown, "hlt", "", overwatch.Cumulative},
		{"run=1;HLT_MODE=DQM", false, overwatch.ModeUnknown, "hlt", "", overwatch.Cumulative},
		{"run=1;HLT_MODE=../x", true, overwatch.ModeUnknown, "hlt-reset", overwatch.Cumulative, overwatch.Reset},
	} {
		sink := &recordingSink{}
		r := New(Config{Subsystem: "EMC", ResetOnRequest: tc.reset, Accumulation: tc.cfg, Logger: quietLogger()}, sink)
		require.NotEmpty(t, r.HandleReply(context.Background(), encodeReply(t, tc.info, ents)), tc.info)
		require.Len(t, sink.metas, 1)
		assert.Equal(t, tc.mode, sink.metas[0].Mode, tc.info)
		assert.Equal(t, tc.src, sink.metas[0].Origin, tc.info)
		assert.Equal(t, tc.acc, sink.metas[0].Accumulation, tc.info)
		assert.Equal(t, 1, sink.metas[0].Run)
		assert.Equal(t, "EMC", sink.metas[0].Subsystem)
	}
}

// Hostile replies (garbage, truncated and oversized TMessages, odd frame
// counts) are logged and skipped; the receiver keeps going and stores the
// next good reply.
func TestReceiverSurvivesHostileReplies(t *testing.T) {
	requireCodec(t)
	good := workedExampleReply(t, false)
	huge := bytes.Clone(good[3])
	binary.BigEndian.PutUint32(huge[8:], 0x40000000|0x3fffffff)
	hostile := [][][]byte{
		{[]byte("garbage")},
		{hltwire.InfoTopic().Marshal(), []byte("run=9"), hltwire.ObjectTopic().Marshal(), good[3][:100]},
		{hltwire.InfoTopic().Marshal(), []byte("run=9"), hltwire.ObjectTopic().Marshal(), huge},
		{hltwire.StreamersTopic().Marshal(), bytes.Repeat([]byte{0xff}, 1000), hltwire.InfoTopic().Marshal(), []byte("run=9")},
		{},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fm := startFakeMerger(t, ctx, func(n int, req [][]byte) [][]byte {
		if n < len(hostile) {
			return hostile[n]
		}
		return good
	})
	dir := t.TempDir()
	r := New(Config{Endpoint: fm.addr, Subsystem: "EMC", Sleep: time.Millisecond, Timeout: 2 * time.Second,
		Logger: quietLogger()}, DropSink{Dir: dir})
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.Eventually(t, func() bool { return r.Stats().Written >= 1 }, 20*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	st := r.Stats()
	assert.GreaterOrEqual(t, st.BadObjects, int64(2))
	reqs := fm.requests()
	// After the decode failures the receiver asks for the schema again.
	var schema int
	for _, q := range reqs {
		if bytes.Contains(q[1], []byte("SchemaOnRequest")) {
			schema++
		}
	}
	assert.GreaterOrEqual(t, schema, 2)
	_, err := os.Stat(filepath.Join(dir, st.LastWritten))
	require.NoError(t, err)
}

func FuzzDecodeReply(f *testing.F) {
	f.Add(bytes.Join(workedExampleReply(f, false), []byte{0xFF, 0xFE}))
	f.Add(bytes.Join(workedExampleReply(f, true), []byte{0xFF, 0xFE}))
	f.Add([]byte{})
	dec := NewDecoder()
	f.Fuzz(func(t *testing.T, b []byte) {
		frames := bytes.Split(b, []byte{0xFF, 0xFE})
		d := dec.Decode(frames)
		if len(d.Entries) > len(frames)/2 {
			t.Fatalf("%d entries from %d frames", len(d.Entries), len(frames))
		}
		for _, e := range d.Entries {
			if e.Key == "" || e.Object == nil {
				t.Fatalf("bad entry %+v", e)
			}
		}
	})
}

// emcMix returns the frames of a reply holding the 500-histogram EMC-like
// mix of the generator.
func emcMix(b *testing.B) ([][]byte, int) {
	g := generator.New(generator.Config{Seed: 1, Subsystems: []string{"EMC"}, EMCHistograms: 500, Run: 290222})
	g.Advance(10 * time.Minute)
	ents := g.Snapshot("EMC")
	return encodeReply(b, "run=290222;HLT_MODE=B;BEAM_TYPE=p-p", ents), len(ents)
}

// BenchmarkDecodeStore decodes a 500-object EMC-like reply and stores it
// durably (ROOT file encoding, fsync, link) in a drop folder; the target is
// >= 5,000 objects/s on one core (run with -cpu 1). objects/cpu-s divides by
// the CPU time used, which stays meaningful on a busy machine; objects/s
// includes waiting for the disk.
func BenchmarkDecodeStore(b *testing.B) {
	b.Run("drop", func(b *testing.B) { benchDecodeStore(b, DropSink{Dir: b.TempDir()}) })
	b.Run("store", func(b *testing.B) {
		st, err := store.Open(b.TempDir(), store.Options{Logger: quietLogger()})
		require.NoError(b, err)
		defer st.Close()
		benchDecodeStore(b, StoreSink{Store: st})
	})
}

func benchDecodeStore(b *testing.B, sink Sink) {
	frames, n := emcMix(b)
	now := time.Unix(1_700_000_000, 0)
	r := New(Config{Subsystem: "EMC", KeepDuplicates: true, Logger: quietLogger(),
		Now: func() time.Time { now = now.Add(time.Second); return now }}, sink)
	c0 := cpuNow()
	for b.Loop() {
		if r.HandleReply(context.Background(), frames) == "" {
			b.Fatal("reply not stored")
		}
	}
	cpu := cpuNow() - c0
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "objects/cpu-s")
}

// BenchmarkDecode is the decoding part of BenchmarkDecodeStore.
func BenchmarkDecode(b *testing.B) {
	frames, n := emcMix(b)
	dec := NewDecoder()
	c0 := cpuNow()
	for b.Loop() {
		if d := dec.Decode(frames); len(d.Entries) != n {
			b.Fatalf("%d entries, want %d", len(d.Entries), n)
		}
	}
	cpu := cpuNow() - c0
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "objects/s")
	b.ReportMetric(float64(n*b.N)/cpu.Seconds(), "objects/cpu-s")
}

// Replies of every topic generation decode the same: G1 (raw string and
// 16-byte topics), G2–G4 (80-byte topics, pre-G4 zero serialization), G5
// (IDs at offset 32), with compressed or big-endian TMessages.
func TestDecodeGenerations(t *testing.T) {
	requireCodec(t)
	h := overwatch.MustNewHist(overwatch.ClassTH2F, "hMap", "map", overwatch.NewAxis(40, 0, 40), overwatch.NewAxis(30, 0, 3))
	for i := 0; i < 500; i++ {
		require.NoError(t, h.Fill(1, float64(i%40), float64(i%7)/3))
	}
	plain, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{LittleEndianLength: true})
	require.NoError(t, err)
	zipped, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{CompressionLevel: 1})
	require.NoError(t, err)
	require.NotEqual(t, uint32(4), binary.BigEndian.Uint32(zipped[4:]), "compressed (kMESS_ZIP)")
	info := []byte("run=1234;HLT_MODE=B")

	g5 := func(id, serialization string) []byte {
		b := hltwire.NewTopic("", "HLT ", serialization).Marshal()
		copy(b[32:40], id)
		return b
	}
	preG4 := hltwire.NewTopic(hltwire.IDObject, "HLT ", "").Marshal()
	tests := []struct {
		name   string
		frames [][]byte
	}{
		{"G4", [][]byte{hltwire.InfoTopic().Marshal(), info, hltwire.ObjectTopic().Marshal(), plain}},
		{"G4 compressed", [][]byte{hltwire.InfoTopic().Marshal(), info, hltwire.ObjectTopic().Marshal(), zipped}},
		{"G3 zero serialization", [][]byte{hltwire.NewTopic(hltwire.IDInfo, "***", "").Marshal(), info, preG4, zipped}},
		{"G5", [][]byte{g5(hltwire.IDInfo, hltwire.SerializationNONE), info, g5(hltwire.IDObject, hltwire.SerializationROOT), plain}},
		{"G1 raw and 16-byte", [][]byte{[]byte("INFO"), info, hltwire.NewTopic(hltwire.IDHist, "HLT ", "").MarshalLegacy(), plain}},
		{"HLTROOT", [][]byte{hltwire.InfoTopic().Marshal(), info, hltwire.NewTopic(hltwire.IDObject, "HLT ", hltwire.SerializationHLTROOT).Marshal(), plain}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder().Decode(tc.frames)
			require.Empty(t, d.Errs)
			assert.Equal(t, 1234, d.Info.Run)
			require.Len(t, d.Entries, 1)
			got := d.Entries[0].Object.(*overwatch.Hist)
			assert.Equal(t, overwatch.ClassTH2F, got.Class)
			assert.Equal(t, h.Contents, got.Contents)
			assert.Equal(t, 500.0, got.Entries)
		})
	}
}

func TestDecodeLimits(t *testing.T) {
	requireCodec(t)
	var objs [][]byte
	for i := 0; i < 5; i++ {
		h := overwatch.MustNewHist(overwatch.ClassTH1D, fmt.Sprintf("h%d", i%4), "", overwatch.NewAxis(2, 0, 1))
		h.Entries = float64(i)
		m, err := hltwire.EncodeTMessage(h, hltwire.TMessageOptions{})
		require.NoError(t, err)
		objs = append(objs, m)
	}
	frames := hltwire.Reply{Info: []byte("run=1"), Objects: objs}.Frames()
	d := NewDecoder().Decode(frames)
	assert.Equal(t, 1, d.Duplicates, "h0 twice")
	require.Len(t, d.Entries, 4)
	assert.Equal(t, 4.0, d.Entries[0].Object.(*overwatch.Hist).Entries, "the later h0 wins")

	dec := NewDecoder()
	dec.MaxObjects = 3
	d = dec.Decode(frames)
	assert.Len(t, d.Entries, 3)
	assert.Equal(t, 2, d.Dropped)
}
