package blob_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func read(t *testing.T, b blob.Bucket, key string, off, n int64) string {
	t.Helper()
	rc, err := b.Open(context.Background(), key, off, n)
	require.NoError(t, err)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(data)
}

func TestDirPutOpenStat(t *testing.T) {
	root := t.TempDir()
	b := blob.Dir(root)
	ctx := context.Background()
	info, err := b.Put(ctx, "Run1/EMC/EMChists.2015_11_24_18_05_10.root", strings.NewReader("hello world"))
	require.NoError(t, err)
	sum := sha256.Sum256([]byte("hello world"))
	assert.Equal(t, hex.EncodeToString(sum[:]), info.SHA256)
	assert.Equal(t, int64(11), info.Size)
	// The original layout: the key is the path.
	data, err := os.ReadFile(filepath.Join(root, "Run1", "EMC", "EMChists.2015_11_24_18_05_10.root"))
	require.NoError(t, err)
	assert.Equal(t, "hello world", string(data))

	_, err = b.Put(ctx, "Run1/EMC/EMChists.2015_11_24_18_05_10.root", strings.NewReader("other"))
	assert.ErrorIs(t, err, blob.ErrExist, "never overwrites")
	assert.Equal(t, "hello world", read(t, b, "Run1/EMC/EMChists.2015_11_24_18_05_10.root", 0, -1))
	assert.Equal(t, "world", read(t, b, "Run1/EMC/EMChists.2015_11_24_18_05_10.root", 6, -1))
	assert.Equal(t, "lo w", read(t, b, "Run1/EMC/EMChists.2015_11_24_18_05_10.root", 3, 4))
	assert.Equal(t, "", read(t, b, "Run1/EMC/EMChists.2015_11_24_18_05_10.root", 50, 4))

	st, err := b.Stat(ctx, "Run1/EMC/EMChists.2015_11_24_18_05_10.root")
	require.NoError(t, err)
	assert.Equal(t, int64(11), st.Size)
	_, err = b.Stat(ctx, "Run1/EMC/nothing")
	assert.ErrorIs(t, err, blob.ErrNotExist)
	_, err = b.Stat(ctx, "Run1/EMC")
	assert.ErrorIs(t, err, blob.ErrNotExist, "a directory is no object")
	_, err = b.Open(ctx, "nothing", 0, -1)
	assert.ErrorIs(t, err, blob.ErrNotExist)
	require.NoError(t, b.Delete(ctx, "Run1/EMC/EMChists.2015_11_24_18_05_10.root"))
	require.NoError(t, b.Delete(ctx, "Run1/EMC/EMChists.2015_11_24_18_05_10.root"), "absent is fine")
	_, err = b.Stat(ctx, "Run1/EMC/EMChists.2015_11_24_18_05_10.root")
	assert.ErrorIs(t, err, blob.ErrNotExist)
}

// A reader that fails leaves nothing behind, under the key or as a
// temporary file.
func TestDirPutFailingReader(t *testing.T) {
	root := t.TempDir()
	b := blob.Dir(root)
	_, err := b.Put(context.Background(), "a/b", io.MultiReader(strings.NewReader("half"), errReader{}))
	require.Error(t, err)
	ents, err := os.ReadDir(filepath.Join(root, "a"))
	require.NoError(t, err)
	assert.Empty(t, ents)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestDirKeysCannotEscape(t *testing.T) {
	b := blob.Dir(t.TempDir())
	ctx := context.Background()
	for _, k := range []string{"", "../x", "a/../../x", "/abs", "a//b", "a\\b", "a/./b", "nul\x00"} {
		_, err := b.Put(ctx, k, strings.NewReader("x"))
		assert.Error(t, err, "%q", k)
		_, err = b.Open(ctx, k, 0, -1)
		assert.Error(t, err, "%q", k)
		assert.Error(t, b.Delete(ctx, k), "%q", k)
	}
}

// Concurrent puts of one key: exactly one wins, the others get ErrExist,
// and the object is the winner's whole content.
func TestDirConcurrentPutSameKey(t *testing.T) {
	b := blob.Dir(t.TempDir())
	var wins, exists atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := b.Put(context.Background(), "k/v", strings.NewReader(strings.Repeat(string(rune('a'+i)), 100000)))
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, blob.ErrExist):
				exists.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load())
	assert.Equal(t, int32(7), exists.Load())
	got := read(t, b, "k/v", 0, -1)
	assert.Len(t, got, 100000)
	assert.Equal(t, strings.Repeat(got[:1], 100000), got)
}

func TestDirListLexicalOrder(t *testing.T) {
	root := t.TempDir()
	b := blob.Dir(root)
	ctx := context.Background()
	keys := []string{"a/b", "a.b", "a/c/d", "ab", "b", "Run10/EMC/x", "Run1/EMC/x", "Run1/EMC/y"}
	for _, k := range keys {
		_, err := b.Put(ctx, k, strings.NewReader(k))
		require.NoError(t, err)
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "a", ".tmp-half"), []byte("x"), 0o644))
	list := func(prefix string) []string {
		var out []string
		require.NoError(t, b.List(ctx, prefix, func(i blob.Info) error {
			out = append(out, i.Key)
			return nil
		}))
		return out
	}
	assert.Equal(t, []string{"Run1/EMC/x", "Run1/EMC/y", "Run10/EMC/x", "a.b", "a/b", "a/c/d", "ab", "b"}, list(""))
	assert.Equal(t, []string{"a.b", "a/b", "a/c/d", "ab"}, list("a"))
	assert.Equal(t, []string{"a/b", "a/c/d"}, list("a/"))
	assert.Equal(t, []string{"Run1/EMC/x", "Run1/EMC/y"}, list("Run1/"))
	assert.Equal(t, []string{"Run1/EMC/x", "Run1/EMC/y", "Run10/EMC/x"}, list("Run1"))
	assert.Empty(t, list("zz/"))
	stop := errors.New("stop")
	n := 0
	err := b.List(ctx, "", func(blob.Info) error { n++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n)
}

func TestDirReplace(t *testing.T) {
	b := blob.Dir(t.TempDir())
	ctx := context.Background()
	for _, v := range []string{"one", "two"} {
		_, err := b.Replace(ctx, "Run1/EMC/json/h.json", strings.NewReader(v), true)
		require.NoError(t, err)
	}
	assert.Equal(t, "two", read(t, b, "Run1/EMC/json/h.json", 0, -1))
}
