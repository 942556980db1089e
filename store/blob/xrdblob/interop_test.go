package xrdblob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch/store/blob"
)

func xrdcp(t *testing.T) string {
	p, err := exec.LookPath("xrdcp")
	if err != nil {
		t.Skip("xrdcp not installed (run `make setup-system`, which installs xrootd-client)")
	}
	return p
}

// TestXrdcpReadsOurObjects: an object put by us is read back by the
// official client with the same bytes, and the internal files do not show
// in the object tree.
func TestXrdcpReadsOurObjects(t *testing.T) {
	bin := xrdcp(t)
	b, srv, root := newBucket(t)
	p := make([]byte, 3<<20+17)
	_, err := rand.Read(p)
	require.NoError(t, err)
	key := "Run123/EMC/EMChists.2026_12_02_05_00_00.root"
	_, err = b.Put(context.Background(), key, bytes.NewReader(p))
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), "copy.root")
	cmd := exec.Command(bin, "--nopbar", srv.URL(root+"/"+key), out)
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", msg)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(p, got), "xrdcp read other bytes")
}

// TestWeReadXrdcpFiles: a file written by xrdcp into the tree is an
// object: listed, read and described; a Put of its key is refused.
func TestWeReadXrdcpFiles(t *testing.T) {
	bin := xrdcp(t)
	b, srv, root := newBucket(t)
	p := make([]byte, 1<<20+5)
	_, err := rand.Read(p)
	require.NoError(t, err)
	in := filepath.Join(t.TempDir(), "in.root")
	require.NoError(t, os.WriteFile(in, p, 0o644))
	key := "Run7/TPC/TPChists.2026_12_02_05_00_01.root"
	msg, err := exec.Command(bin, "--nopbar", "--path", in, srv.URL(root+"/"+key)).CombinedOutput()
	require.NoError(t, err, "%s", msg)
	ctx := context.Background()
	var keys []string
	require.NoError(t, b.List(ctx, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }))
	assert.Equal(t, []string{key}, keys)
	st, err := b.Stat(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, int64(len(p)), st.Size)
	assert.Empty(t, st.SHA256, "no claim, so no recorded checksum")
	rc, err := b.Open(ctx, key, 0, -1)
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.True(t, bytes.Equal(p, got))
	_, err = b.Put(ctx, key, bytes.NewReader([]byte("other")))
	assert.ErrorIs(t, err, blob.ErrExist, "a file written by another tool is never replaced")
	rc, err = b.Open(ctx, key, 0, -1)
	require.NoError(t, err)
	got, _ = io.ReadAll(rc)
	rc.Close()
	assert.True(t, bytes.Equal(p, got))
}

// TestStaleClaim: a put killed after claiming its key leaves the key
// claimed but absent; Delete clears it.
func TestStaleClaim(t *testing.T) {
	b, srv, root := newBucket(t)
	ctx := context.Background()
	// What a killed put leaves: a claim directory with its record.
	claim := filepath.Join(srv.Local, root, `\xrdblob`, "claims", "Run1", "EMC", "x.root")
	require.NoError(t, os.MkdirAll(claim, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(claim, `\sum`), []byte("0000000000000000000000000000000000000000000000000000000000000000 3\n"), 0o644))
	srv.Own(t, filepath.Join(srv.Local, root))
	_, err := b.Put(ctx, "Run1/EMC/x.root", bytes.NewReader([]byte("abc")))
	assert.ErrorIs(t, err, blob.ErrExist)
	_, err = b.Stat(ctx, "Run1/EMC/x.root")
	assert.ErrorIs(t, err, blob.ErrNotExist)
	require.NoError(t, b.Delete(ctx, "Run1/EMC/x.root"))
	_, err = b.Put(ctx, "Run1/EMC/x.root", bytes.NewReader([]byte("abc")))
	require.NoError(t, err)
	st, err := b.Stat(ctx, "Run1/EMC/x.root")
	require.NoError(t, err)
	assert.Equal(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", st.SHA256)
}
