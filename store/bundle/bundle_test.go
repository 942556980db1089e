package bundle_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() []bundle.Member {
	return []bundle.Member{
		bundle.NewMember("view", []byte(`{"run":1}`)),
		bundle.NewMember("json/a/b", []byte(`{"_typename":"TH1F"}`)),
		bundle.NewMember("hints/a/b", []byte(`{"name":"a/b"}`)),
		bundle.NewMember("json/empty", nil),
	}
}

// TestGolden: the encoding of a set of members is fixed (and independent
// of the order they are given in).
func TestGolden(t *testing.T) {
	b, err := bundle.Encode(sample())
	require.NoError(t, err)
	rev := sample()
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	b2, err := bundle.Encode(rev)
	require.NoError(t, err)
	assert.Equal(t, b, b2, "order of the members does not matter")
	golden := filepath.Join("testdata", "sample.owb")
	if *update {
		require.NoError(t, os.WriteFile(golden, b, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, want, b)
}

func TestRoundTrip(t *testing.T) {
	b, err := bundle.Encode(sample())
	require.NoError(t, err)
	x, err := bundle.ReadIndex(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	assert.Equal(t, 4, x.Len())
	assert.Len(t, x.ID(), 64)
	for _, m := range sample() {
		e, ok := x.Lookup(m.Name)
		require.True(t, ok, m.Name)
		data, err := bundle.ReadMember(bytes.NewReader(b), e)
		require.NoError(t, err)
		assert.Equal(t, string(m.Data), string(data))
	}
	_, ok := x.Lookup("json/missing")
	assert.False(t, ok)
	ms, err := bundle.Decode(b)
	require.NoError(t, err)
	assert.Len(t, ms, 4)

	// A member changed in place: its hash no longer matches.
	bad := bytes.Clone(b)
	bad[len(bad)-2] ^= 1
	_, err = bundle.Decode(bad)
	assert.ErrorIs(t, err, bundle.ErrCorrupt)
}

func TestEncodeErrors(t *testing.T) {
	_, err := bundle.Encode([]bundle.Member{bundle.NewMember("a", nil), bundle.NewMember("a", []byte("x"))})
	assert.Error(t, err)
	_, err = bundle.Encode([]bundle.Member{bundle.NewMember("", nil)})
	assert.Error(t, err)
}

// TestReadIndexCorrupt: truncations and flipped bytes anywhere in the
// header and index are reported as corrupt, never a panic.
func TestReadIndexCorrupt(t *testing.T) {
	b, err := bundle.Encode(sample())
	require.NoError(t, err)
	for n := 0; n < len(b); n++ {
		_, err := bundle.Decode(b[:n])
		assert.Error(t, err, "truncated to %d", n)
	}
	for i := 0; i < len(b); i++ {
		bad := bytes.Clone(b)
		bad[i] ^= 0x40
		_, err := bundle.Decode(bad)
		assert.Error(t, err, "byte %d flipped", i)
	}
}

// FuzzReadIndex: bundles are read back from disk; no input crashes the
// reader or makes it read outside the bundle.
func FuzzReadIndex(f *testing.F) {
	b, _ := bundle.Encode(sample())
	f.Add(b)
	f.Add([]byte(bundle.Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := bundle.ReadIndex(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, e := range x.Entries() {
			require.LessOrEqual(t, e.Offset+e.Length, int64(len(data)))
			_, _ = bundle.ReadMember(bytes.NewReader(data), e)
		}
	})
}

// countingStore counts the bytes read through ranged reads.
type countingStore struct {
	*store.Store
	read  atomic.Int64
	whole atomic.Int64
}

func (c *countingStore) OpenOutput(ctx context.Context, ref overwatch.OutputRef, off, n int64) (io.ReadCloser, error) {
	if n > 0 {
		c.read.Add(n)
	}
	return c.Store.OpenOutput(ctx, ref, off, n)
}

func (c *countingStore) Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error) {
	c.whole.Add(1)
	return c.Store.Output(ctx, ref)
}

// TestOutputs reads members of a bundle in a real store without reading
// the whole bundle, falls back to per-file outputs when a run has no
// bundle, and follows a replaced bundle.
func TestOutputs(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{Subsystems: []string{"EMC"}})
	require.NoError(t, err)
	defer st.Close()
	ctx := context.Background()
	cs := &countingStore{Store: st}
	o := bundle.NewOutputs(cs)

	// Before any bundle: per-file outputs, as stores processed before
	// bundles hold them.
	old := overwatch.OutputRef{Run: 7, Subsystem: "EMC", Name: "h", Kind: overwatch.OutputJSON}
	require.NoError(t, st.PutOutput(ctx, old, []byte(`{"old":1}`)))
	c, err := o.Read(ctx, old)
	require.NoError(t, err)
	assert.Equal(t, `{"old":1}`, string(c.Data))
	assert.Empty(t, c.Bundle)

	big := bytes.Repeat([]byte("x"), 1<<20)
	put := func(view string) {
		b, err := bundle.Encode([]bundle.Member{
			bundle.NewMember(bundle.ViewMember, []byte(view)),
			bundle.NewMember(bundle.MemberName(overwatch.OutputJSON, "h"), []byte(`{"new":1}`)),
			bundle.NewMember(bundle.MemberName(overwatch.OutputJSON, "big"), big),
		})
		require.NoError(t, err)
		require.NoError(t, st.PutOutput(ctx, bundle.Ref(7, "EMC", ""), b))
	}
	put(`{"v":1}`)
	cs.whole.Store(0)
	c, err = o.Read(ctx, old)
	require.NoError(t, err)
	assert.Equal(t, `{"new":1}`, string(c.Data), "the bundle supersedes the per-file output")
	assert.NotEmpty(t, c.Bundle)
	assert.Less(t, cs.read.Load(), int64(1<<17), "the 1 MiB member is not read")
	v, err := o.Output(ctx, overwatch.ViewRef(7, "EMC", ""))
	require.NoError(t, err)
	assert.Equal(t, `{"v":1}`, string(v))
	_, err = o.Output(ctx, overwatch.OutputRef{Run: 7, Subsystem: "EMC", Name: "gone", Kind: overwatch.OutputHints})
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	_, err = o.OutputTime(ctx, overwatch.OutputRef{Run: 7, Subsystem: "EMC", Name: "gone", Kind: overwatch.OutputHints})
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	mod, err := o.OutputTime(ctx, old)
	require.NoError(t, err)
	info, err := st.OutputInfo(ctx, bundle.Ref(7, "EMC", ""))
	require.NoError(t, err)
	assert.Equal(t, info.Time, mod)
	assert.Zero(t, cs.whole.Load(), "no whole-output read")

	// Replaced: the next read sees the new bundle.
	time.Sleep(10 * time.Millisecond)
	put(`{"v":2}`)
	v, err = o.Output(ctx, overwatch.ViewRef(7, "EMC", ""))
	require.NoError(t, err)
	assert.Equal(t, `{"v":2}`, string(v))

	// Trending outputs (run 0) are not in bundles.
	trend := overwatch.OutputRef{Subsystem: "EMC", Name: "t", Kind: overwatch.OutputJSON}
	require.NoError(t, st.PutOutput(ctx, trend, []byte(`[1]`)))
	tb, err := o.Output(ctx, trend)
	require.NoError(t, err)
	assert.Equal(t, `[1]`, string(tb))

	// A damaged bundle is an error, not garbage.
	rel, err := store.OutputPath(bundle.Ref(7, "EMC", ""))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(st.Dir(), filepath.FromSlash(rel)), []byte("OWBUNDLE garbage"), 0o644))
	_, err = o.Output(ctx, overwatch.ViewRef(7, "EMC", ""))
	assert.True(t, errors.Is(err, bundle.ErrCorrupt), "%v", err)
}
