package webapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

// TestBundleMembersFromS3: a 500-histogram snapshot processed into a
// store on S3; the web app serves the members of its bundle (JSON, hints,
// view) read by ranges from the bucket, each with the member's content
// hash as ETag (304 on revalidation), and the new bundle's members once
// the run is reprocessed.
func TestBundleMembersFromS3(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an S3 server")
	}
	e := newEnvStore(t, store.Options{Bucket: s3test.Start(t).NewBlobBucket(t)})
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	snap, names := putImageSnapshot(t, e, 500)
	require.NoError(t, processing.New(e.store, processing.Options{Logger: quiet}).Process(ctx, snap))
	c, _ := loggedIn(t, e)
	b, err := bundle.NewOutputs(e.store).Open(ctx, 600, "EMC", "")
	require.NoError(t, err, "the bundle is on S3")
	etag := func(body string) string {
		sum := sha256.Sum256([]byte(body))
		return `"` + hex.EncodeToString(sum[:]) + `"`
	}
	for _, n := range []string{names[0], names[3], names[250], names[499]} {
		data, entry, err := b.Read(ctx, bundle.MemberName(overwatch.OutputJSON, n))
		require.NoError(t, err, n)
		resp, body := c.get("/api/runs/600/EMC/json/" + n)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, string(data), body, n)
		assert.Equal(t, entry.ETag(), resp.Header.Get("ETag"), "the member's hash is its ETag")
		assert.Equal(t, etag(body), resp.Header.Get("ETag"))
		resp, body = c.do("GET", "/api/runs/600/EMC/json/"+n, nil, map[string]string{"If-None-Match": entry.ETag()})
		assert.Equal(t, http.StatusNotModified, resp.StatusCode)
		assert.Empty(t, body)
	}
	resp, body := c.get("/api/runs/600/EMC/hints/" + names[1])
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, etag(body), resp.Header.Get("ETag"))
	resp, body = c.get("/api/runs/600/EMC")
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, names[7], "the view lists the histograms")
	resp, _ = c.get("/api/runs/600/EMC/json/nope")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// Reprocessing with images: the replaced bundle's members are served.
	resp, before := c.get("/api/runs/600/EMC/png/" + names[2])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, processing.New(e.store, processing.Options{Logger: quiet, PNG: processing.PNGEager}).Process(ctx, snap))
	b2, err := bundle.NewOutputs(e.store).Open(ctx, 600, "EMC", "")
	require.NoError(t, err)
	require.NotEqual(t, b.ID(), b2.ID(), "a new bundle, with images")
	png, entry, err := b2.Read(ctx, bundle.MemberName(overwatch.OutputPNG, names[2]))
	require.NoError(t, err)
	resp, body = c.get("/api/runs/600/EMC/png/" + names[2])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, string(png), body, "the image of the new bundle")
	assert.Equal(t, before, body, "rendered on demand before, stored eagerly now: the same image")
	assert.Equal(t, entry.ETag(), resp.Header.Get("ETag"))
}
