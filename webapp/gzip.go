package webapp

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// gzipMin is the smallest JSON output served compressed.
const gzipMin = 2048

// gzipCacheBytes bounds the memory of compressed outputs kept.
const gzipCacheBytes = 64 << 20

// gzipCache keeps gzip-compressed JSON outputs keyed by reference and
// write time, so that a histogram's JSON is compressed once per update
// however many browsers fetch it.
type gzipCache struct {
	mu    sync.Mutex
	m     map[gzipKey][]byte
	bytes int
}

type gzipKey struct {
	ref overwatch.OutputRef
	mod time.Time
}

func newGzipCache() *gzipCache { return &gzipCache{m: map[gzipKey][]byte{}} }

// acceptsGzip reports whether the client takes gzip-encoded responses.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// get returns the gzip form of data written at mod.
func (c *gzipCache) get(ref overwatch.OutputRef, mod time.Time, data []byte) []byte {
	k := gzipKey{ref, mod}
	c.mu.Lock()
	z, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return z
	}
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	_, _ = w.Write(data)
	_ = w.Close()
	z = b.Bytes()
	c.mu.Lock()
	if c.bytes+len(z) > gzipCacheBytes {
		clear(c.m)
		c.bytes = 0
	}
	if _, dup := c.m[k]; !dup {
		c.m[k] = z
		c.bytes += len(z)
	}
	c.mu.Unlock()
	return z
}
