package webapp

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersionedAssets: the pages load the static files and JSROOT under
// versioned URLs cached as immutable; the unversioned and older URLs are
// revalidated (304 on the ETag), and errors carry no caching headers.
func TestVersionedAssets(t *testing.T) {
	e := newEnv(t)
	e.seed(t, 1)
	c, _ := loggedIn(t, e)

	_, page := c.get("/run/100/EMC")
	src := regexp.MustCompile(`<script type="module" src="(/static/v-[0-9a-f]{12}/app\.js)">`).FindStringSubmatch(page)
	require.NotNil(t, src, "app.js under a versioned URL")
	assert.Equal(t, staticURL("app.js"), src[1])
	assert.NotRegexp(t, `"/static/[^v]`, page, "no unversioned static URL in the page")

	resp, body := c.get(src[1])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "EventSource")
	assert.Equal(t, immutable, resp.Header.Get("Cache-Control"))
	etag := resp.Header.Get("ETag")
	assert.Equal(t, staticETags["app.js"], etag)

	for _, p := range []string{"/static/app.js", "/static/v-000000000000/app.js"} {
		resp, body := c.get(p)
		require.Equal(t, http.StatusOK, resp.StatusCode, p)
		assert.Contains(t, body, "EventSource", p)
		assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"), p)
		assert.Equal(t, etag, resp.Header.Get("ETag"), p)
		resp, _ = c.do("GET", p, nil, map[string]string{"If-None-Match": etag})
		assert.Equal(t, http.StatusNotModified, resp.StatusCode, p)
	}
	for _, p := range []string{staticURL("nope.js"), staticURL("../app.go"), "/static/v-" + staticVersion + "/", staticURL("%2e%2e/app.go")} {
		resp, _ := c.get(p)
		assert.NotEqual(t, http.StatusOK, resp.StatusCode, p)
		assert.Empty(t, resp.Header.Get("Cache-Control"), p)
		assert.Empty(t, resp.Header.Get("ETag"), p)
	}

	if !e.app.HasJSROOT() {
		return
	}
	assert.Regexp(t, `^/jsroot/v-[0-9a-f]{12}$`, e.app.jsrootBase)
	assert.Contains(t, page, `data-jsroot-base="`+e.app.jsrootBase+`"`)
	assert.Contains(t, page, `<link rel="modulepreload" href="`+e.app.jsrootBase+`/modules/core.mjs">`)
	resp, body = c.get(e.app.jsrootBase + "/modules/core.mjs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "export")
	assert.Equal(t, immutable, resp.Header.Get("Cache-Control"))
	resp, _ = c.get("/jsroot/modules/core.mjs")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))
	assert.NotEmpty(t, resp.Header.Get("Last-Modified"), "revalidated by its modification time")
	resp, _ = c.get(e.app.jsrootBase + "/modules/nope.mjs")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Cache-Control"))
}

// TestRunPagePlaceholders: with JSROOT, the run page shows the
// server-rendered images of the first viewport's plots at once (with
// Element Timing) and a spinner in the others; without JSROOT every plot
// is an image, loaded lazily.
func TestRunPagePlaceholders(t *testing.T) {
	e := newEnv(t)
	if !e.app.HasJSROOT() {
		t.Skip("JSROOT not installed: run `make setup-jsroot`")
	}
	simulatedRun(t, e, 700, 0, "HLT")
	c, _ := loggedIn(t, e)
	resp, page := c.get("/run/700/HLT")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	imgs := regexp.MustCompile(`<img class="placeholder" alt="[^"]*" src="(/api/runs/700/HLT/png/[^"]+)" elementtiming="plot-image"`).FindAllStringSubmatch(page, -1)
	require.Len(t, imgs, placeholderPlots)
	assert.Len(t, regexp.MustCompile(`fetchpriority="high"`).FindAllStringIndex(page, -1), 1, "the first image first")
	spinners := regexp.MustCompile(`<span class="loading spinner">`).FindAllStringIndex(page, -1)
	plots := regexp.MustCompile(`<div class="plot" `).FindAllStringIndex(page, -1)
	assert.Len(t, spinners, len(plots)-placeholderPlots)
	resp, _ = c.get(imgs[0][1])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "image/png", resp.Header.Get("Content-Type"))
}
