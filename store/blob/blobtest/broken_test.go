package blobtest_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/blobtest"
)

// broken buckets each break one promise of the contract; the suite must
// catch every one of them.
type overwriting struct{ *memBucket }

func (b overwriting) Put(ctx context.Context, key string, r io.Reader) (blob.Info, error) {
	_ = b.Delete(ctx, key)
	return b.memBucket.Put(ctx, key, r)
}

// walkOrder lists like a naive directory walk: segment by segment in name
// order, which is not lexical key order.
type walkOrder struct{ *memBucket }

func (b walkOrder) List(ctx context.Context, prefix string, fn func(blob.Info) error) error {
	var infos []blob.Info
	_ = b.memBucket.List(ctx, prefix, func(i blob.Info) error { infos = append(infos, i); return nil })
	sort.Slice(infos, func(i, j int) bool {
		return strings.Split(infos[i].Key, "/")[0] < strings.Split(infos[j].Key, "/")[0] ||
			strings.Split(infos[i].Key, "/")[0] == strings.Split(infos[j].Key, "/")[0] && infos[i].Key < infos[j].Key
	})
	for _, i := range infos {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

// partial stores what it read before the reader failed.
type partial struct{ *memBucket }

func (b partial) Put(ctx context.Context, key string, r io.Reader) (blob.Info, error) {
	p, err := io.ReadAll(ctxReader{ctx, r})
	info, _ := b.memBucket.Put(ctx, key, strings.NewReader(string(p)))
	if err != nil {
		return blob.Info{}, err
	}
	return info, nil
}

// pastEnd fails reads past the end instead of reading nothing.
type pastEnd struct{ *memBucket }

func (b pastEnd) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	st, err := b.Stat(ctx, key)
	if err == nil && off >= st.Size && st.Size > 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return b.memBucket.Open(ctx, key, off, n)
}

var brokenBuckets = map[string]func(*testing.T) blob.Bucket{
	"overwriting": func(t *testing.T) blob.Bucket { return overwriting{newMem(t).(*memBucket)} },
	"walkOrder":   func(t *testing.T) blob.Bucket { return walkOrder{newMem(t).(*memBucket)} },
	"partial":     func(t *testing.T) blob.Bucket { return partial{newMem(t).(*memBucket)} },
	"pastEnd":     func(t *testing.T) blob.Bucket { return pastEnd{newMem(t).(*memBucket)} },
}

// TestBrokenHelper runs the suite on the broken bucket named by
// BLOBTEST_BROKEN; it is run by TestSuiteCatchesBrokenBuckets in a child
// process, since its failures are the expected outcome.
func TestBrokenHelper(t *testing.T) {
	name := os.Getenv("BLOBTEST_BROKEN")
	if name == "" {
		t.Skip("run by TestSuiteCatchesBrokenBuckets")
	}
	blobtest.Run(t, brokenBuckets[name])
}

func TestSuiteCatchesBrokenBuckets(t *testing.T) {
	for name, wantFail := range map[string]string{
		"overwriting": "PutNeverReplaces",
		"walkOrder":   "ListOrderAndPrefix",
		"partial":     "FailingReaderLeavesNothing",
		"pastEnd":     "OpenRanges",
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), "BLOBTEST_BROKEN="+name)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the suite passed a broken bucket:\n%s", out)
			assert.Contains(t, string(out), "--- FAIL: TestBrokenHelper/"+wantFail, "%s", out)
		})
	}
}
