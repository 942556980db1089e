package dqm

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// loadFile returns a valid ROOT file of about 2 MB (a TH1D of random
// contents, which zlib cannot shrink much).
func loadFile(t testing.TB, seed uint64) []byte {
	h := overwatch.MustNewHist(overwatch.ClassTH1D, "load", "load test", overwatch.NewAxis(262000, 0, 1))
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range h.Contents {
		h.Contents[i] = rng.Float64() * 1000
	}
	h.Entries = float64(len(h.Contents))
	b, err := overwatch.EncodeFile([]overwatch.Entry{{Key: "load", Object: h}})
	require.NoError(t, err)
	return b
}

// TestLoadConcurrentUploads: 20 concurrent clients upload 2 MB files for a
// while (5 s by default, 30 s with OVERWATCH_LOAD=1); every accepted upload
// must be stored intact and none lost, with p99 latency <= 500 ms.
func TestLoadConcurrentUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	// The default suite runs a short version next to other test packages
	// on the same cores, so it only bounds p99 loosely; the acceptance
	// figure (30 s, p99 <= 500 ms) is checked with OVERWATCH_LOAD=1 on a
	// quiet machine.
	dur, p99Limit := 5*time.Second, 3*time.Second
	if os.Getenv("OVERWATCH_LOAD") == "1" {
		dur, p99Limit = 30*time.Second, 500*time.Millisecond
	}
	const clients = 20
	f := newFixtureWith(t, func(c *Config) { c.MaxConcurrent = clients })
	files := make([][]byte, 4)
	for i := range files {
		files[i] = loadFile(t, uint64(i))
	}
	type result struct {
		ts   int64
		sum  [32]byte
		lat  time.Duration
		code int
	}
	var mu sync.Mutex
	var results []result
	var busy atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; time.Now().Before(deadline); j++ {
				data := files[(c+j)%len(files)]
				ts := int64(1_000_000_000 + c*100_000 + j)
				start := time.Now()
				code := 0
				// More than MaxConcurrent clients: a busy receiver answers
				// 429 at once and the client tries again shortly.
				for {
					req, _ := http.NewRequest("POST", f.srv.URL+"/rest/api/files", bytes.NewReader(data))
					req.Header.Set("Authorization", "Bearer "+f.token)
					// One run per client: consecutive uploads of a run carry
					// different files, so none is a duplicate of its run's
					// newest snapshot (those are not stored again).
					req.Header.Set("runNumber", strconv.Itoa(777+c))
					req.Header.Set("timeStamp", strconv.FormatInt(ts, 10))
					req.Header.Set("amoreAgent", "EMC")
					resp, err := client.Do(req)
					code = 0
					if err == nil {
						code = resp.StatusCode
						resp.Body.Close()
					}
					if code != http.StatusTooManyRequests {
						break
					}
					busy.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				lat := time.Since(start)
				mu.Lock()
				results = append(results, result{ts, sha256.Sum256(data), lat, code})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	var lats []time.Duration
	accepted := 0
	byTS := map[int64][32]byte{}
	for _, r := range results {
		require.Equal(t, 200, r.code, "every upload of a valid file is accepted")
		accepted++
		lats = append(lats, r.lat)
		byTS[r.ts] = r.sum
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	p := func(q float64) time.Duration { return lats[min(len(lats)-1, int(q*float64(len(lats))))] }
	t.Logf("%d uploads of ~%.1f MB in %v by %d clients (%d handled at once; %d answers 429 retried): %.1f uploads/s, p50 %v, p99 %v, max %v",
		accepted, float64(len(files[0]))/1e6, dur, clients, clients, busy.Load(), float64(accepted)/dur.Seconds(), p(0.5), p(0.99), lats[len(lats)-1])
	assert.LessOrEqual(t, p(0.99), p99Limit, "p99 latency")

	var snaps []overwatch.SnapshotInfo
	for c := 0; c < clients; c++ {
		ss, err := f.st.Snapshots(t.Context(), 777+c, "EMC")
		if err == nil || !errors.Is(err, overwatch.ErrNotFound) {
			require.NoError(t, err)
		}
		snaps = append(snaps, ss...)
	}
	require.Len(t, snaps, accepted, "none lost")
	for _, s := range snaps {
		b, err := os.ReadFile(filepath.Join(f.dir, s.Path))
		require.NoError(t, err)
		want, ok := byTS[s.Time.Unix()]
		require.True(t, ok, "unexpected snapshot %v", s.SnapshotRef)
		require.Equal(t, want, sha256.Sum256(b), fmt.Sprintf("snapshot %v intact", s.SnapshotRef))
	}
}
