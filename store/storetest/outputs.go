package storetest

import (
	"bytes"
	"context"
	"fmt"
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
