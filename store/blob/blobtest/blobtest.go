// Package blobtest is the conformance suite of blob.Bucket, like
// testing/fstest for file systems: every backend runs it from its own tests,
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Bucket { return newEmptyBucket(t) })
//	}
//
// and passes only when it keeps every documented promise of the interface:
// immutable atomic puts, exact ranged reads, checksums, lexical listing
// with string-prefix semantics, idempotent deletes, refused keys, one
// winner among concurrent puts of a key, large objects and cancellation.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/store/blob"
)

// Options tune the suite for a backend.
type Options struct {
	// LargeSize is the size of the large object (default 4 MiB).
	LargeSize int
	// Concurrency is the number of goroutines racing to put one key
	// (default 8).
	Concurrency int
}

// Run checks every documented behaviour of blob.Bucket on buckets made by
// newBucket, which must return an empty bucket each time it is called
// (several subtests call it; a prefix of a shared bucket that the suite
// never leaves is fine only if newBucket makes it look empty).
func Run(t *testing.T, newBucket func(t *testing.T) blob.Bucket) {
	RunOptions(t, Options{}, newBucket)
}

// RunOptions is Run with options.
func RunOptions(t *testing.T, o Options, newBucket func(t *testing.T) blob.Bucket) {
	if o.LargeSize <= 0 {
		o.LargeSize = 4 << 20
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, b blob.Bucket)
	}{
		{"PutOpenStat", testPutOpenStat},
		{"EmptyObject", testEmpty},
		{"PutNeverReplaces", testPutNeverReplaces},
		{"FailingReaderLeavesNothing", testFailingReader},
		{"PutIsAtomic", testPutAtomic},
		{"OpenRanges", testOpenRanges},
		{"Absent", testAbsent},
		{"ListOrderAndPrefix", testList},
		{"ListStopsAtError", testListStop},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"ConcurrentPutsOneWinner", func(t *testing.T, b blob.Bucket) { testConcurrentSameKey(t, b, o.Concurrency) }},
		{"ConcurrentPutsDistinctKeys", func(t *testing.T, b blob.Bucket) { testConcurrentDistinct(t, b, o.Concurrency) }},
		{"Large", func(t *testing.T, b blob.Bucket) { testLarge(t, b, o.LargeSize) }},
		{"Cancellation", testCancel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBucket(t)
			require.NotNil(t, b, "newBucket returned nil")
			requireEmpty(t, b)
			tc.fn(t, b)
		})
	}
}

func sum(p []byte) string {
	s := sha256.Sum256(p)
	return hex.EncodeToString(s[:])
}

func random(t *testing.T, n int) []byte {
	p := make([]byte, n)
	_, err := rand.Read(p)
	require.NoError(t, err)
	return p
}

func requireEmpty(t *testing.T, b blob.Bucket) {
	t.Helper()
	keys := listKeys(t, b, "")
	require.Empty(t, keys, "a new bucket must be empty")
}

func listKeys(t *testing.T, b blob.Bucket, prefix string) []string {
	t.Helper()
	keys := []string{}
	require.NoError(t, b.List(context.Background(), prefix, func(i blob.Info) error {
		keys = append(keys, i.Key)
		return nil
	}))
	return keys
}

func put(t *testing.T, b blob.Bucket, key string, p []byte) blob.Info {
	t.Helper()
	info, err := b.Put(context.Background(), key, bytes.NewReader(p))
	require.NoError(t, err, "Put %q", key)
	return info
}

func read(t *testing.T, b blob.Bucket, key string, off, n int64) []byte {
	t.Helper()
	rc, err := b.Open(context.Background(), key, off, n)
	require.NoError(t, err, "Open %q off=%d n=%d", key, off, n)
	defer func() { require.NoError(t, rc.Close()) }()
	p, err := io.ReadAll(rc)
	require.NoError(t, err, "reading %q off=%d n=%d", key, off, n)
	return p
}

// checkInfo checks what every Info of an object must say.
func checkInfo(t *testing.T, what string, i blob.Info, key string, p []byte, needSum bool) {
	t.Helper()
	assert.Equal(t, key, i.Key, "%s: Key", what)
	assert.Equal(t, int64(len(p)), i.Size, "%s: Size", what)
	if needSum || i.SHA256 != "" {
		assert.Equal(t, sum(p), i.SHA256, "%s: SHA256 (lower-case hex)", what)
	}
	if !i.ModTime.IsZero() || what != "Put" {
		assert.WithinDuration(t, time.Now(), i.ModTime, 10*time.Minute, "%s: ModTime", what)
	}
}

func testPutOpenStat(t *testing.T, b blob.Bucket) {
	p := []byte("histograms of run 123, EMC\n")
	key := "Run123/EMC/EMChists.2026_12_02_04_32_30.root"
	info := put(t, b, key, p)
	checkInfo(t, "Put", info, key, p, true)
	assert.Equal(t, p, read(t, b, key, 0, -1))
	st, err := b.Stat(context.Background(), key)
	require.NoError(t, err)
	checkInfo(t, "Stat", st, key, p, false)
	var listed []blob.Info
	require.NoError(t, b.List(context.Background(), "", func(i blob.Info) error { listed = append(listed, i); return nil }))
	require.Len(t, listed, 1)
	checkInfo(t, "List", listed[0], key, p, false)
}

func testEmpty(t *testing.T, b blob.Bucket) {
	info := put(t, b, "empty", nil)
	checkInfo(t, "Put", info, "empty", nil, true)
	assert.Empty(t, read(t, b, "empty", 0, -1))
	assert.Empty(t, read(t, b, "empty", 0, 10))
	st, err := b.Stat(context.Background(), "empty")
	require.NoError(t, err)
	checkInfo(t, "Stat", st, "empty", nil, false)
	assert.Equal(t, []string{"empty"}, listKeys(t, b, ""))
}

func testPutNeverReplaces(t *testing.T, b blob.Bucket) {
	first := []byte("first")
	put(t, b, "a/b", first)
	_, err := b.Put(context.Background(), "a/b", bytes.NewReader([]byte("second, longer content")))
	require.Error(t, err)
	assert.ErrorIs(t, err, blob.ErrExist)
	assert.Equal(t, first, read(t, b, "a/b", 0, -1), "the first object must be kept")
	st, err := b.Stat(context.Background(), "a/b")
	require.NoError(t, err)
	checkInfo(t, "Stat", st, "a/b", first, false)
	// An empty replacement is refused too.
	_, err = b.Put(context.Background(), "a/b", bytes.NewReader(nil))
	assert.ErrorIs(t, err, blob.ErrExist)
	assert.Equal(t, []string{"a/b"}, listKeys(t, b, ""))
}

// failingReader yields some bytes, then fails.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

var errReader = errors.New("blobtest: reader failed")

func testFailingReader(t *testing.T, b blob.Bucket) {
	for _, size := range []int{0, 10, 300 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			key := fmt.Sprintf("fail/%d", size)
			_, err := b.Put(context.Background(), key, &failingReader{data: random(t, size), err: errReader})
			require.Error(t, err)
			assert.NotErrorIs(t, err, blob.ErrExist)
			_, err = b.Stat(context.Background(), key)
			assert.ErrorIs(t, err, blob.ErrNotExist, "a failed put must leave nothing")
			assert.Empty(t, listKeys(t, b, ""), "a failed put must leave nothing, not even temporary objects")
			// The key is still free.
			p := []byte("good")
			put(t, b, key, p)
			assert.Equal(t, p, read(t, b, key, 0, -1))
			require.NoError(t, b.Delete(context.Background(), key))
		})
	}
}

// testPutAtomic checks that a put in progress is invisible: the object
// appears whole when the put returns, not before.
func testPutAtomic(t *testing.T, b blob.Bucket) {
	p := random(t, 512<<10)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := b.Put(context.Background(), "atomic/x", pr)
		done <- err
	}()
	_, err := pw.Write(p[:len(p)/2])
	require.NoError(t, err)
	// Half the bytes are with the backend: nothing must be visible yet.
	time.Sleep(20 * time.Millisecond)
	_, err = b.Stat(context.Background(), "atomic/x")
	assert.ErrorIs(t, err, blob.ErrNotExist, "Stat during a put")
	_, err = b.Open(context.Background(), "atomic/x", 0, -1)
	assert.ErrorIs(t, err, blob.ErrNotExist, "Open during a put")
	assert.Empty(t, listKeys(t, b, ""), "List during a put")
	_, err = pw.Write(p[len(p)/2:])
	require.NoError(t, err)
	require.NoError(t, pw.Close())
	require.NoError(t, <-done)
	assert.Equal(t, sum(p), sum(read(t, b, "atomic/x", 0, -1)))
	assert.Equal(t, []string{"atomic/x"}, listKeys(t, b, ""))
}

func testOpenRanges(t *testing.T, b blob.Bucket) {
	p := []byte("0123456789abcdefghij")
	put(t, b, "r", p)
	size := int64(len(p))
	for _, tc := range []struct {
		off, n int64
		want   string
	}{
		{0, -1, string(p)},
		{0, size, string(p)},
		{0, 1, "0"},
		{3, 4, "3456"},
		{10, -1, "abcdefghij"},
		{19, 1, "j"},
		{19, -1, "j"},
		{15, 100, "fghij"},  // n past the end: up to the end
		{size, -1, ""},      // at the end: empty
		{size, 5, ""},       // at the end: empty
		{size + 10, -1, ""}, // past the end: empty
		{size + 10, 3, ""},  // past the end: empty
		{5, 0, ""},          // nothing asked
	} {
		t.Run(fmt.Sprintf("off=%d,n=%d", tc.off, tc.n), func(t *testing.T) {
			assert.Equal(t, tc.want, string(read(t, b, "r", tc.off, tc.n)))
		})
	}
	t.Run("negative offset", func(t *testing.T) {
		rc, err := b.Open(context.Background(), "r", -1, 3)
		if err == nil {
			rc.Close()
		}
		assert.Error(t, err, "a negative offset is refused")
		assert.NotErrorIs(t, err, blob.ErrNotExist)
	})
}

func testAbsent(t *testing.T, b blob.Bucket) {
	ctx := context.Background()
	put(t, b, "present/x", []byte("x"))
	for _, key := range []string{"absent", "present", "present/y", "present/x/y", "presen"} {
		_, err := b.Stat(ctx, key)
		assert.ErrorIs(t, err, blob.ErrNotExist, "Stat %q", key)
		rc, err := b.Open(ctx, key, 0, -1)
		if err == nil {
			rc.Close()
		}
		assert.ErrorIs(t, err, blob.ErrNotExist, "Open %q", key)
		rc, err = b.Open(ctx, key, 2, 3)
		if err == nil {
			rc.Close()
		}
		assert.ErrorIs(t, err, blob.ErrNotExist, "Open %q with a range", key)
	}
}

func testList(t *testing.T, b blob.Bucket) {
	// Keys that share prefixes, with bytes before and after '/' so that a
	// directory-by-directory walk in name order gets the lexical order
	// wrong: "Run1-a/x" < "Run1.b" < "Run1/A" < "Run10/..." < "Run1_/...".
	keys := []string{
		"Run1/EMC/EMChists.1.root",
		"Run1/EMC/EMChists.2.root",
		"Run1/EMC/EMChists.10.root",
		"Run1/EMCX/a",
		"Run1/EMC-x/a",
		"Run1/TPC/TPChists.1.root",
		"Run1/A",
		"Run1-a/x",
		"Run1.b",
		"Run10/EMC/EMChists.1.root",
		"Run1_/z",
		"Run2/EMC/EMChists.1.root",
		"a",
		"a.b/c",
		"a0",
		"ab/c/d/e/f",
	}
	sizes := map[string]int{}
	for i, k := range keys {
		p := bytes.Repeat([]byte{byte('a' + i)}, i+1)
		sizes[k] = len(p)
		put(t, b, k, p)
	}
	want := append([]string(nil), keys...)
	sort.Strings(want)
	var got []string
	require.NoError(t, b.List(context.Background(), "", func(i blob.Info) error {
		got = append(got, i.Key)
		assert.Equal(t, int64(sizes[i.Key]), i.Size, "List size of %q", i.Key)
		return nil
	}))
	assert.Equal(t, want, got, "List must yield every key once, in lexical byte order")

	for _, prefix := range []string{
		"Run1", "Run1/", "Run1/EMC", "Run1/EMC/", "Run1/EMC/EMChists.1", "Run1/E", "Run1-", "Run1.",
		"Run10", "Run2/EMC/EMChists.1.root", "Run2/EMC/EMChists.1.root/", "Run3", "a", "a.", "ab/c/d/e/f", "zzz",
	} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			var want []string
			for _, k := range keys {
				if strings.HasPrefix(k, prefix) {
					want = append(want, k)
				}
			}
			sort.Strings(want)
			if want == nil {
				want = []string{}
			}
			assert.Equal(t, want, listKeys(t, b, prefix))
		})
	}
	// A prefix that is not a valid key fragment lists nothing outside
	// the bucket.
	for _, prefix := range []string{"../", "/", "..", "./Run1", "Run1//", "\\"} {
		var bad []string
		err := b.List(context.Background(), prefix, func(i blob.Info) error {
			if !strings.HasPrefix(i.Key, prefix) || !blob.ValidKey(i.Key) {
				bad = append(bad, i.Key)
			}
			return nil
		})
		_ = err // refusing such a prefix is allowed
		assert.Empty(t, bad, "List %q yielded keys that do not start with it or are invalid", prefix)
	}
}

func testListStop(t *testing.T, b blob.Bucket) {
	for _, k := range []string{"s/1", "s/2", "s/3"} {
		put(t, b, k, []byte(k))
	}
	stop := errors.New("enough")
	var seen []string
	err := b.List(context.Background(), "", func(i blob.Info) error {
		seen = append(seen, i.Key)
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	assert.ErrorIs(t, err, stop, "List returns the error of fn")
	assert.Equal(t, []string{"s/1", "s/2"}, seen, "List stops at the first error")
}

func testDelete(t *testing.T, b blob.Bucket) {
	ctx := context.Background()
	put(t, b, "d/1", []byte("one"))
	put(t, b, "d/2", []byte("two"))
	require.NoError(t, b.Delete(ctx, "d/1"))
	_, err := b.Stat(ctx, "d/1")
	assert.ErrorIs(t, err, blob.ErrNotExist)
	assert.Equal(t, []string{"d/2"}, listKeys(t, b, ""))
	assert.NoError(t, b.Delete(ctx, "d/1"), "deleting twice is not an error")
	assert.NoError(t, b.Delete(ctx, "never/there"), "deleting an absent key is not an error")
	assert.NoError(t, b.Delete(ctx, "d"), "deleting a prefix that is no object is not an error")
	assert.Equal(t, []byte("two"), read(t, b, "d/2", 0, -1), "other objects stay")
	// A deleted key can be written again.
	put(t, b, "d/1", []byte("again"))
	assert.Equal(t, []byte("again"), read(t, b, "d/1", 0, -1))
	require.NoError(t, b.Delete(ctx, "d/1"))
	require.NoError(t, b.Delete(ctx, "d/2"))
	assert.Empty(t, listKeys(t, b, ""))
}

// InvalidKeys are keys every backend must refuse (see blob.ValidKey).
var InvalidKeys = []string{
	"", "/", "/abs", "a/", "a//b", ".", "..", "../x", "a/../../x", "a/./b", "a/..",
	"a\\b", "..\\x", "a\x00b", "a\nb", "a\tb", "a\x7fb", strings.Repeat("k", 1025),
}

func testInvalidKeys(t *testing.T, b blob.Bucket) {
	ctx := context.Background()
	put(t, b, "x", []byte("x"))
	for _, key := range InvalidKeys {
		require.False(t, blob.ValidKey(key), "%q", key)
		_, err := b.Put(ctx, key, bytes.NewReader([]byte("evil")))
		assert.Error(t, err, "Put %q", key)
		assert.NotErrorIs(t, err, blob.ErrExist, "Put %q", key)
		rc, err := b.Open(ctx, key, 0, -1)
		if err == nil {
			rc.Close()
		}
		assert.Error(t, err, "Open %q", key)
		_, err = b.Stat(ctx, key)
		assert.Error(t, err, "Stat %q", key)
		assert.Error(t, b.Delete(ctx, key), "Delete %q", key)
	}
	assert.Equal(t, []string{"x"}, listKeys(t, b, ""), "refused keys leave nothing")
	assert.Equal(t, []byte("x"), read(t, b, "x", 0, -1))
	// Long but valid keys work (1024 bytes, segments of 200).
	long := strings.Repeat(strings.Repeat("l", 200)+"/", 5)[:1000] + "z"
	require.True(t, blob.ValidKey(long))
	put(t, b, long, []byte("long"))
	assert.Equal(t, []byte("long"), read(t, b, long, 0, -1))
}

func testConcurrentSameKey(t *testing.T, b blob.Bucket, n int) {
	contents := make([][]byte, n)
	for i := range contents {
		contents[i] = random(t, 64<<10+i)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			_, errs[i] = b.Put(context.Background(), "race/key", bytes.NewReader(contents[i]))
		}(i)
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			assert.Equal(t, -1, winner, "two puts of one key succeeded: %d and %d", winner, i)
			winner = i
			continue
		}
		assert.ErrorIs(t, err, blob.ErrExist, "a losing put must fail with ErrExist")
	}
	require.NotEqual(t, -1, winner, "one put must win")
	got := read(t, b, "race/key", 0, -1)
	assert.Equal(t, sum(contents[winner]), sum(got), "the object is the winner's, whole")
	assert.Equal(t, []string{"race/key"}, listKeys(t, b, ""))
}

func testConcurrentDistinct(t *testing.T, b blob.Bucket, n int) {
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = b.Put(context.Background(), fmt.Sprintf("par/%02d/obj", i), bytes.NewReader([]byte(fmt.Sprint(i))))
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "put %d", i)
	}
	keys := listKeys(t, b, "par/")
	assert.Len(t, keys, n)
	for i := 0; i < n; i++ {
		assert.Equal(t, fmt.Sprint(i), string(read(t, b, fmt.Sprintf("par/%02d/obj", i), 0, -1)))
	}
}

func testLarge(t *testing.T, b blob.Bucket, size int) {
	p := random(t, size)
	info := put(t, b, "large/obj", p)
	checkInfo(t, "Put", info, "large/obj", p, true)
	got := read(t, b, "large/obj", 0, -1)
	require.Equal(t, len(p), len(got))
	assert.True(t, bytes.Equal(p, got), "content")
	mid := int64(size/2 - 1000)
	assert.True(t, bytes.Equal(p[mid:mid+300000], read(t, b, "large/obj", mid, 300000)), "ranged read across the middle")
	assert.True(t, bytes.Equal(p[size-10:], read(t, b, "large/obj", int64(size-10), -1)), "tail")
	st, err := b.Stat(context.Background(), "large/obj")
	require.NoError(t, err)
	checkInfo(t, "Stat", st, "large/obj", p, false)
}

// cancelReader cancels its context after some bytes and then keeps
// yielding bytes slowly, up to 8 MiB more, then ends: a Put that ignores
// its context succeeds, which the suite reports.
type cancelReader struct {
	cancel context.CancelFunc
	left   int
}

func (r *cancelReader) Read(p []byte) (int, error) {
	if r.left <= -8<<20 {
		return 0, io.EOF
	}
	if r.left <= 0 {
		r.cancel()
		time.Sleep(time.Millisecond)
	}
	n := min(len(p), 4096)
	r.left -= n
	for i := range p[:n] {
		p[i] = 'c'
	}
	return n, nil
}

func testCancel(t *testing.T, b blob.Bucket) {
	put(t, b, "c/present", []byte("present"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Put(ctx, "c/new", bytes.NewReader([]byte("x")))
	assert.Error(t, err, "Put with a cancelled context")
	_, err = b.Stat(context.Background(), "c/new")
	assert.ErrorIs(t, err, blob.ErrNotExist, "a put with a cancelled context leaves nothing")
	rc, err := b.Open(ctx, "c/present", 0, -1)
	if err == nil {
		// Opening may be lazy; reading must then fail.
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	assert.Error(t, err, "Open with a cancelled context")
	_, err = b.Stat(ctx, "c/present")
	assert.Error(t, err, "Stat with a cancelled context")
	err = b.List(ctx, "", func(blob.Info) error { return nil })
	assert.Error(t, err, "List with a cancelled context")

	// Cancelled in the middle of a put: an error, and nothing left.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	done := make(chan error, 1)
	go func() {
		_, err := b.Put(ctx2, "c/mid", &cancelReader{cancel: cancel2, left: 256 << 10})
		done <- err
	}()
	select {
	case err := <-done:
		assert.Error(t, err, "Put cancelled in the middle")
	case <-time.After(30 * time.Second):
		t.Fatal("Put does not return after its context was cancelled")
	}
	_, err = b.Stat(context.Background(), "c/mid")
	assert.ErrorIs(t, err, blob.ErrNotExist, "a cancelled put leaves nothing")
	assert.Equal(t, []string{"c/present"}, listKeys(t, b, ""), "a cancelled put leaves nothing")
}
