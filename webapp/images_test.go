package webapp

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
)

// putImageSnapshot stores and returns a snapshot of run 600 EMC with n
// histograms: 1D of 100–3000 bins and, one in four, 2D maps of 100x100.
func putImageSnapshot(t testing.TB, e *testEnv, n int) (overwatch.SnapshotInfo, []string) {
	t.Helper()
	var entries []overwatch.Entry
	var names []string
	for i := 0; i < n; i++ {
		var h *overwatch.Hist
		if i%4 == 3 {
			h = overwatch.MustNewHist(overwatch.ClassTH2F, fmt.Sprintf("hMap%03d", i), "map;col;row", overwatch.NewAxis(100, 0, 100), overwatch.NewAxis(100, 0, 100))
		} else {
			nb := 100 + (i*37)%2900
			h = overwatch.MustNewHist(overwatch.ClassTH1F, fmt.Sprintf("hAmp%03d", i), "amplitude;ADC;counts", overwatch.NewAxis(nb, 0, float64(nb)))
		}
		for c := range h.Contents {
			if h.IsInRange(c) {
				h.Contents[c] = float64((c*7 + i) % 50)
				h.Entries += h.Contents[c]
			}
		}
		entries = append(entries, overwatch.Entry{Key: h.Name, Object: h})
		names = append(names, h.Name)
	}
	data, err := overwatch.EncodeFile(entries)
	require.NoError(t, err)
	info, err := e.store.PutSnapshot(context.Background(), overwatch.SnapshotMeta{Run: 600, Subsystem: "EMC", Mode: overwatch.ModeCompress,
		Time: time.Now().Add(-time.Hour).Truncate(time.Second), Origin: "test"}, bytes.NewReader(data))
	require.NoError(t, err)
	return info, names
}

// TestPNGOnDemand: with images on demand, processing stores no image; the
// web app renders one from the bundle's JSON and hints when first asked,
// identical to the one processing renders with --png eager, serves it
// with a content-hash ETag (304 on revalidation) and caches it.
func TestPNGOnDemand(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	snap, names := putImageSnapshot(t, e, 8)
	require.NoError(t, processing.New(e.store, processing.Options{Logger: quiet}).Process(ctx, snap))
	c, _ := loggedIn(t, e)

	onDemand := map[string][]byte{}
	for _, n := range names {
		_, err := e.app.bundles.Output(ctx, overwatch.OutputRef{Run: 600, Subsystem: "EMC", Name: n, Kind: overwatch.OutputPNG})
		require.ErrorIs(t, err, overwatch.ErrNotFound, "no image stored by processing")
		resp, body := c.get("/api/runs/600/EMC/png/" + n)
		require.Equal(t, http.StatusOK, resp.StatusCode, body)
		assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
		_, err = png.Decode(bytes.NewReader([]byte(body)))
		require.NoError(t, err, n)
		etag := resp.Header.Get("ETag")
		require.NotEmpty(t, etag)
		resp, _ = c.do("GET", "/api/runs/600/EMC/png/"+n, nil, map[string]string{"If-None-Match": etag})
		assert.Equal(t, http.StatusNotModified, resp.StatusCode)
		onDemand[n] = []byte(body)
	}
	e.app.images.mu.Lock()
	assert.Len(t, e.app.images.m, len(names), "every image cached")
	e.app.images.mu.Unlock()

	// The same snapshot processed with eager images: the bundle's images
	// are the ones rendered on demand.
	require.NoError(t, processing.New(e.store, processing.Options{Logger: quiet, PNG: processing.PNGEager}).Process(ctx, snap))
	for _, n := range names {
		eager, err := e.app.bundles.Output(ctx, overwatch.OutputRef{Run: 600, Subsystem: "EMC", Name: n, Kind: overwatch.OutputPNG})
		require.NoError(t, err, n)
		assert.True(t, bytes.Equal(eager, onDemand[n]), "%s: image rendered on demand differs from the eager one", n)
		resp, body := c.get("/api/runs/600/EMC/png/" + n)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.True(t, bytes.Equal(eager, []byte(body)), n)
	}
	resp, _ := c.get("/api/runs/600/EMC/png/nope")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// BenchmarkFirstPNG measures the first request of a processed
// histogram's image (rendered on demand from its bundle, a 100x100 map or
// a 1D of up to 3000 bins, in a 500-histogram bundle) and a cached one.
// Goal: first ≤ 30 ms.
func BenchmarkFirstPNG(b *testing.B) {
	e, ck := benchEnv(b, 0)
	ctx := context.Background()
	snap, names := putImageSnapshot(b, e, 500)
	require.NoError(b, processing.New(e.store, processing.Options{Logger: slog.New(slog.DiscardHandler)}).Process(ctx, snap))
	get := func(name string) time.Duration {
		req := httptest.NewRequest("GET", "/api/runs/600/EMC/png/"+name, nil)
		req.AddCookie(ck)
		w := httptest.NewRecorder()
		t0 := time.Now()
		e.app.ServeHTTP(w, req)
		d := time.Since(t0)
		if w.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", name, w.Code, w.Body.String())
		}
		return d
	}
	var first, cached []time.Duration
	for i := 0; b.Loop(); i++ {
		if i%len(names) == 0 {
			e.app.images = newImageCache(e.app.bundles)
		}
		n := names[i%len(names)]
		first = append(first, get(n))
		cached = append(cached, get(n))
	}
	median := func(d []time.Duration) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	b.ReportMetric(median(first), "first-ms")
	b.ReportMetric(median(cached), "cached-ms")
}
