package overwatch

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func encodeHists(t *testing.T, bins ...int) []byte {
	t.Helper()
	var entries []Entry
	for i, n := range bins {
		h := MustNewHist(ClassTH1D, "h"+string(rune('a'+i)), "", NewAxis(n, 0, 1))
		entries = append(entries, Entry{Key: h.Name, Object: h})
	}
	b, err := EncodeFile(entries)
	require.NoError(t, err)
	return b
}

// TestDecodeFileLimitedRefusesExpansion: an empty 5,000,000-bin TH1D
// compresses to ~40 kB and decodes to 40 MB; within small limits it is
// refused before the memory is allocated, whether by the bytes or the
// cells bound, and the cells of several objects add up.
func TestDecodeFileLimitedRefusesExpansion(t *testing.T) {
	bomb := encodeHists(t, 5_000_000)
	require.Less(t, len(bomb), 200_000)
	for _, lim := range []DecodeLimits{
		{MaxBytes: 1 << 20, MaxCells: 1 << 30},
		{MaxBytes: 1 << 30, MaxCells: 1 << 20},
	} {
		_, err := DecodeFileLimited(bomb, lim)
		require.Error(t, err, "%+v", lim)
		assert.ErrorIs(t, err, ErrTooLarge)
	}
	f, err := DecodeFileLimited(bomb, DecodeLimits{MaxBytes: 64 << 20, MaxCells: 8 << 20})
	require.NoError(t, err)
	require.Len(t, f.Entries, 1)

	// Three histograms of 600 cells each: 1800 cells in total.
	three := encodeHists(t, 598, 598, 598)
	_, err = DecodeFileLimited(three, DecodeLimits{MaxBytes: 1 << 20, MaxCells: 1500})
	assert.ErrorIs(t, err, ErrTooLarge, "cells add up across objects")
	f, err = DecodeFileLimited(three, DecodeLimits{MaxBytes: 1 << 20, MaxCells: 1800})
	require.NoError(t, err)
	assert.Len(t, f.Entries, 3)
	plain, err := DecodeFile(three)
	require.NoError(t, err)
	assert.Equal(t, plain.Entries, f.Entries)
}

// BenchmarkDecodeBudget compares DecodeFile with DecodeFileLimited (the
// budget's charges on every array) on the same file in the same run.
func BenchmarkDecodeBudget(b *testing.B) {
	var entries []Entry
	for i := range 50 {
		h := MustNewHist(ClassTH2F, "h"+strconv.Itoa(i), "", NewAxis(100, 0, 1), NewAxis(100, 0, 1))
		for j := range h.Contents {
			h.Contents[j] = float64(j % 7)
		}
		entries = append(entries, Entry{Key: h.Name, Object: h})
	}
	data, err := EncodeFile(entries)
	require.NoError(b, err)
	b.Run("unlimited", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeFile(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("limited", func(b *testing.B) {
		for b.Loop() {
			if _, err := DecodeFileLimited(data, DecodeLimits{MaxBytes: 128 << 20, MaxCells: 16 << 20}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
