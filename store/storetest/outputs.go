package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outputRefs are outputs of every kind and place.
var outputRefs = []overwatch.OutputRef{
	{Run: 1, Subsystem: "TPC", Name: "TPCQA/h_tpc", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "TPC", Name: "TPCQA_h_tpc", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "TPC", Name: "TPCQA%2Fh_tpc", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputPNG},
	{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputHints},
	{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputView},
	{Run: 1, Subsystem: "EMC", Slice: "k1", Name: "h", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "EMC", Slice: "k1", Name: "h", Kind: overwatch.OutputPNG},
	{Run: 1, Subsystem: "EMC", Slice: "k1", Kind: overwatch.OutputSlice},
	{Run: 1, Subsystem: "EMC", Slice: "k1", Kind: overwatch.OutputView},
	{Run: 2, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON},
	{Run: 0, Subsystem: "EMC", Name: "EMC/mean", Kind: overwatch.OutputPNG},
	{Run: 0, Subsystem: "EMC", Name: "EMC/mean", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "HLT", Name: "fHistClusters", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "TPC", Name: "fHistClusters", Kind: overwatch.OutputJSON}, // borrows HLT's files
	{Run: 1, Subsystem: "EMC", Name: strings.Repeat("long/name ", 40) + "1", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "EMC", Name: strings.Repeat("long/name ", 40) + "2", Kind: overwatch.OutputJSON},
	{Run: 1, Subsystem: "EMC", Name: "ünïcode µ/σ", Kind: overwatch.OutputJSON},
}

func outputData(i int, ref overwatch.OutputRef) []byte {
	return fmt.Appendf(nil, "output %d %+v", i, ref)
}

func testOutputRoundTrip(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	put(t, s, 1, "HLT", overwatch.ModeCompress, t0, "hlt") // TPC borrows
	tpc, _ := runInfo(t, s, 1).Subsystem("TPC")
	require.True(t, tpc.Borrows())
	start := time.Now()
	for i, ref := range outputRefs {
		require.NoError(t, s.PutOutput(ctx, ref, outputData(i, ref)), "%+v", ref)
	}
	for i, ref := range outputRefs {
		got, err := s.Output(ctx, ref)
		require.NoError(t, err, "%+v", ref)
		assert.Equal(t, string(outputData(i, ref)), string(got), "%+v reads back its own data", ref)
		mt, err := s.OutputTime(ctx, ref)
		require.NoError(t, err)
		assert.False(t, mt.Before(start.Add(-time.Second)), "output time %v after the write (%v)", mt, start)
		assert.WithinDuration(t, time.Now(), mt, time.Minute)
	}
	// Binary and empty outputs.
	bin := []byte{0x89, 'P', 'N', 'G', 0, 0xff, '\n', '\r'}
	ref := overwatch.OutputRef{Run: 3, Subsystem: "EMC", Name: "bin", Kind: overwatch.OutputPNG}
	require.NoError(t, s.PutOutput(ctx, ref, bin))
	got, err := s.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, bin, got)
	ref.Name = "empty"
	require.NoError(t, s.PutOutput(ctx, ref, nil))
	got, err = s.Output(ctx, ref)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testOutputReplace(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	ref := overwatch.OutputRef{Run: 4, Subsystem: "EMC", Name: "dir/h", Kind: overwatch.OutputJSON}
	require.NoError(t, s.PutOutput(ctx, ref, []byte("first version")))
	t1, err := s.OutputTime(ctx, ref)
	require.NoError(t, err)
	var t2 time.Time
	deadline := time.Now().Add(2 * time.Second)
	for n := 0; ; n++ {
		time.Sleep(10 * time.Millisecond)
		require.NoError(t, s.PutOutput(ctx, ref, fmt.Appendf(nil, "version %d", n)))
		got, err := s.Output(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("version %d", n), string(got), "replaced")
		t2, err = s.OutputTime(ctx, ref)
		require.NoError(t, err)
		if t2.After(t1) || time.Now().After(deadline) {
			break
		}
	}
	assert.True(t, t2.After(t1), "OutputTime moves on replacement: %v, then %v", t1, t2)
	assert.WithinDuration(t, time.Now(), t2, time.Minute)
}

func testOutputAtomicReplace(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	ref := overwatch.OutputRef{Run: 5, Subsystem: "EMC", Name: "big", Kind: overwatch.OutputJSON}
	a := bytes.Repeat([]byte("a"), 64<<10)
	b := bytes.Repeat([]byte("b"), 96<<10)
	require.NoError(t, s.PutOutput(ctx, ref, a))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := 0; i < 40; i++ {
			v := a
			if i%2 == 0 {
				v = b
			}
			if err := s.PutOutput(ctx, ref, v); err != nil {
				t.Errorf("replace: %v", err)
				return
			}
		}
	}()
	reads := 0
	for {
		select {
		case <-done:
			wg.Wait()
			t.Logf("%d reads during 40 replacements", reads)
			return
		default:
		}
		got, err := s.Output(ctx, ref)
		require.NoError(t, err, "an output being replaced is always readable")
		require.True(t, bytes.Equal(got, a) || bytes.Equal(got, b), "read a mix or a partial output (%d bytes)", len(got))
		reads++
	}
}

func testOutputInvalid(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	for _, bad := range []overwatch.OutputRef{
		{Run: 1, Subsystem: "..", Name: "h", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "emc", Name: "h", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "EMC", Name: "", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "EMC", Name: "v", Kind: overwatch.OutputView},
		{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputSlice},
		{Run: 1, Subsystem: "EMC", Slice: "../x", Name: "h", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "EMC", Name: "h", Kind: "gif"},
		{Run: 1, Subsystem: "EMC", Name: "h", Kind: ""},
		{Run: -1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON},
	} {
		assert.Error(t, s.PutOutput(ctx, bad, []byte("x")), "PutOutput %+v", bad)
		_, err := s.Output(ctx, bad)
		assert.Error(t, err, "Output %+v", bad)
	}
}

// bundleData is a bundle-sized output whose every range is distinct.
func bundleData(n int, tag byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) ^ byte(i>>8) ^ tag
	}
	return b
}

// shaHex is the hex SHA-256 of b.
func shaHex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// checkInfo checks an OutputInfo against the content it describes.
func checkInfo(t *testing.T, s overwatch.Store, ref overwatch.OutputRef, want []byte) overwatch.OutputInfo {
	t.Helper()
	ctx := context.Background()
	info, err := s.(overwatch.OutputRanger).OutputInfo(ctx, ref)
	require.NoError(t, err, "OutputInfo %+v", ref)
	assert.Equal(t, int64(len(want)), info.Size, "OutputInfo size of %+v", ref)
	mt, err := s.OutputTime(ctx, ref)
	require.NoError(t, err)
	assert.True(t, info.Time.Equal(mt), "OutputInfo time %v = OutputTime %v", info.Time, mt)
	if info.SHA256 != "" {
		assert.Equal(t, shaHex(want), info.SHA256, "OutputInfo SHA-256 of %+v is its content's", ref)
	}
	return info
}

// readRange reads n bytes of an output from off.
func readRange(t *testing.T, r overwatch.OutputRanger, ref overwatch.OutputRef, off, n int64) []byte {
	t.Helper()
	rc, err := r.OpenOutput(context.Background(), ref, off, n)
	require.NoError(t, err, "OpenOutput %+v %d %d", ref, off, n)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err, "read %+v %d %d", ref, off, n)
	return b
}

func ranger(t *testing.T, s overwatch.Store) overwatch.OutputRanger {
	t.Helper()
	r, ok := s.(overwatch.OutputRanger)
	if !ok {
		t.Skip("the store does not implement overwatch.OutputRanger")
	}
	return r
}

func testOutputRanged(t *testing.T, su *suite) {
	s := su.store(t).S
	r := ranger(t, s)
	ctx := context.Background()
	ref := overwatch.OutputRef{Run: 7, Subsystem: "EMC", Kind: overwatch.OutputBundle}
	data := bundleData(300<<10, 1)
	require.NoError(t, s.PutOutput(ctx, ref, data))
	size := int64(len(data))
	assert.Equal(t, data, readRange(t, r, ref, 0, -1), "the whole output")
	assert.Equal(t, data[1000:6000], readRange(t, r, ref, 1000, 5000), "a range")
	assert.Equal(t, data[size-10:], readRange(t, r, ref, size-10, 100), "a range past the end is cut at the end")
	assert.Equal(t, data[200<<10:], readRange(t, r, ref, 200<<10, -1), "from an offset to the end")
	assert.Empty(t, readRange(t, r, ref, size, 10), "at the end: nothing")
	assert.Empty(t, readRange(t, r, ref, size+5, 10), "past the end: nothing")
	assert.Empty(t, readRange(t, r, ref, 10, 0), "n = 0: nothing")
	_, err := r.OpenOutput(ctx, ref, -1, 10)
	assert.Error(t, err, "a negative offset")
	got, err := s.Output(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, data, got, "Output reads the bundle whole")
	first := checkInfo(t, s, ref, data)

	// A reader that opened a version keeps reading it across a
	// replacement; new readers read the new version.
	old, err := r.OpenOutput(ctx, ref, 0, -1)
	require.NoError(t, err)
	head := make([]byte, 1024)
	_, err = io.ReadFull(old, head)
	require.NoError(t, err)
	next := bundleData(200<<10, 2)
	time.Sleep(2 * time.Millisecond)
	require.NoError(t, s.PutOutput(ctx, ref, next))
	rest, err := io.ReadAll(old)
	require.NoError(t, err, "a reader of the replaced version reads on")
	require.NoError(t, old.Close())
	assert.True(t, bytes.Equal(data, append(head, rest...)), "the reader opened before the replacement reads the old version whole")
	assert.Equal(t, next[5000:5100], readRange(t, r, ref, 5000, 100), "a new reader reads the new version")
	second := checkInfo(t, s, ref, next)
	assert.False(t, second.Time.Before(first.Time), "the write time does not go back: %v, then %v", first.Time, second.Time)
	if first.SHA256 != "" {
		assert.NotEqual(t, first.SHA256, second.SHA256)
	}
}

func testOutputAbsent(t *testing.T, su *suite) {
	s := su.store(t).S
	ctx := context.Background()
	refs := []overwatch.OutputRef{
		{Run: 1, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON},
		{Run: 1, Subsystem: "EMC", Kind: overwatch.OutputBundle},
		{Run: 1, Subsystem: "EMC", Slice: "k", Kind: overwatch.OutputSlice},
		{Run: 0, Subsystem: "EMC", Name: "mean", Kind: overwatch.OutputPNG},
	}
	// A neighbour of each: the same name in another run or subsystem.
	require.NoError(t, s.PutOutput(ctx, overwatch.OutputRef{Run: 11, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON}, []byte("x")))
	require.NoError(t, s.PutOutput(ctx, overwatch.OutputRef{Run: 1, Subsystem: "TPC", Kind: overwatch.OutputBundle}, []byte("x")))
	for _, ref := range refs {
		_, err := s.Output(ctx, ref)
		assert.ErrorIs(t, err, overwatch.ErrNotFound, "Output %+v", ref)
		_, err = s.OutputTime(ctx, ref)
		assert.ErrorIs(t, err, overwatch.ErrNotFound, "OutputTime %+v", ref)
		if r, ok := s.(overwatch.OutputRanger); ok {
			_, err = r.OpenOutput(ctx, ref, 0, -1)
			assert.ErrorIs(t, err, overwatch.ErrNotFound, "OpenOutput %+v", ref)
			_, err = r.OutputInfo(ctx, ref)
			assert.ErrorIs(t, err, overwatch.ErrNotFound, "OutputInfo %+v", ref)
		}
	}
}

func testOutputConcurrent(t *testing.T, su *suite) {
	h := su.store(t)
	s := h.S
	writers := []overwatch.Store{s, s, s}
	if su.o.Second != nil {
		b := su.o.Second(t, s)
		t.Cleanup(func() { _ = b.Close() })
		writers = append(writers, b, b)
	}
	ctx := context.Background()
	ref := overwatch.OutputRef{Run: 6, Subsystem: "EMC", Kind: overwatch.OutputBundle}
	versions := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w, st := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 15; i++ {
				v := append(bundleData(8<<10+w*100+i, byte(w)), fmt.Sprintf("writer %d version %d", w, i)...)
				mu.Lock()
				versions[string(v)] = true
				mu.Unlock()
				if err := st.PutOutput(ctx, ref, v); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, st := range []overwatch.Store{writers[0], writers[len(writers)-1]} {
		got, err := st.Output(ctx, ref)
		require.NoError(t, err)
		require.True(t, versions[string(got)], "one whole version stays (%d bytes)", len(got))
		if r, ok := st.(overwatch.OutputRanger); ok {
			checkInfo(t, st, ref, got)
			assert.Equal(t, got, readRange(t, r, ref, 0, -1), "ranged reads read the same version")
		}
	}
	// A write after the race replaces whatever won it, on both stores.
	require.NoError(t, writers[len(writers)-1].PutOutput(ctx, ref, []byte("after the race")))
	for _, st := range writers {
		got, err := st.Output(ctx, ref)
		require.NoError(t, err)
		assert.Equal(t, "after the race", string(got))
	}
}

// runDeleter is the retention side of a store (package retention).
type runDeleter interface {
	DeleteRun(ctx context.Context, run int) error
}

func testOutputPrune(t *testing.T, su *suite) {
	s := su.store(t).S
	d, ok := s.(runDeleter)
	if !ok {
		t.Skip("the store has no DeleteRun")
	}
	ctx := context.Background()
	gone := []overwatch.OutputRef{
		{Run: 8, Subsystem: "EMC", Kind: overwatch.OutputBundle},
		{Run: 8, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputPNG},
		{Run: 8, Subsystem: "TPC", Slice: "k", Kind: overwatch.OutputSlice},
		{Run: 8, Subsystem: "TPC", Slice: "k", Kind: overwatch.OutputBundle},
	}
	kept := []overwatch.OutputRef{
		{Run: 80, Subsystem: "EMC", Kind: overwatch.OutputBundle}, // a run number with the same prefix
		{Run: 9, Subsystem: "EMC", Kind: overwatch.OutputBundle},
		{Run: 0, Subsystem: "EMC", Name: "Run8", Kind: overwatch.OutputJSON},
	}
	for i, ref := range append(append([]overwatch.OutputRef(nil), gone...), kept...) {
		require.NoError(t, s.PutOutput(ctx, ref, outputData(i, ref)))
		require.NoError(t, s.PutOutput(ctx, ref, outputData(i+100, ref)), "replaced: two versions")
	}
	require.NoError(t, d.DeleteRun(ctx, 8))
	for _, ref := range gone {
		_, err := s.Output(ctx, ref)
		assert.ErrorIs(t, err, overwatch.ErrNotFound, "Output of a deleted run %+v", ref)
		_, err = s.OutputTime(ctx, ref)
		assert.ErrorIs(t, err, overwatch.ErrNotFound, "OutputTime of a deleted run %+v", ref)
		if r, ok := s.(overwatch.OutputRanger); ok {
			_, err = r.OutputInfo(ctx, ref)
			assert.ErrorIs(t, err, overwatch.ErrNotFound, "OutputInfo of a deleted run %+v", ref)
		}
	}
	for i, ref := range kept {
		got, err := s.Output(ctx, ref)
		require.NoError(t, err, "%+v", ref)
		assert.Equal(t, string(outputData(len(gone)+i+100, ref)), string(got), "other runs' outputs stay")
	}
	for _, f := range su.files(t, s) {
		assert.NotContains(t, "/"+f, "/Run8/", "no blob of the deleted run stays")
	}
	// The run's outputs can be written again.
	require.NoError(t, s.PutOutput(ctx, gone[0], []byte("again")))
	got, err := s.Output(ctx, gone[0])
	require.NoError(t, err)
	assert.Equal(t, "again", string(got))
}

func testOutputRebuild(t *testing.T, su *suite) {
	if su.o.Rebuild == nil {
		t.Skip("no Options.Rebuild")
	}
	h := su.store(t)
	ctx := context.Background()
	refs := append([]overwatch.OutputRef{
		{Run: 12, Subsystem: "EMC", Kind: overwatch.OutputBundle},
		{Run: 12, Subsystem: "EMC", Slice: "s", Kind: overwatch.OutputBundle},
	}, outputRefs...)
	for round := 0; round < 3; round++ {
		for i, ref := range refs {
			if round > 0 && i%2 == 1 {
				continue // replaced twice, or written once
			}
			require.NoError(t, h.S.PutOutput(ctx, ref, outputData(i+100*round, ref)))
		}
	}
	describe := func(s overwatch.Store) []string {
		var out []string
		for _, ref := range refs {
			b, err := s.Output(ctx, ref)
			require.NoError(t, err, "%+v", ref)
			mt, err := s.OutputTime(ctx, ref)
			require.NoError(t, err)
			line := fmt.Sprintf("%+v %d bytes %s at %s", ref, len(b), sum(b), ts(mt))
			if r, ok := s.(overwatch.OutputRanger); ok {
				info, err := r.OutputInfo(ctx, ref)
				require.NoError(t, err)
				line += fmt.Sprintf(" info %d %s %s", info.Size, ts(info.Time), info.SHA256)
			}
			out = append(out, line)
		}
		return out
	}
	before := describe(h.S)
	files := su.files(t, h.S)
	h.S = su.o.Rebuild(t, h.S)
	require.NotNil(t, h.S)
	assert.Equal(t, strings.Join(before, "\n"), strings.Join(describe(h.S), "\n"), "the rebuilt index finds every output's current version")
	if files != nil {
		assert.Equal(t, files, su.files(t, h.S), "a rebuild changes no blob")
	}
	t1, err := h.S.OutputTime(ctx, refs[0])
	require.NoError(t, err)
	require.NoError(t, h.S.PutOutput(ctx, refs[0], []byte("after the rebuild")))
	got, err := h.S.Output(ctx, refs[0])
	require.NoError(t, err)
	assert.Equal(t, "after the rebuild", string(got), "replaced after a rebuild")
	t2, err := h.S.OutputTime(ctx, refs[0])
	require.NoError(t, err)
	assert.False(t, t2.Before(t1), "OutputTime does not go back after a rebuild")
}
