package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/overwatch-dqm/overwatch/internal/s3test"
)

// TestPostgresRebuildWhileOthersWork: `store rebuild` on a PostgreSQL
// index shared by machines that keep working (data directories of their
// own, snapshots on S3). The rebuild is one transaction: another
// machine's reader never sees the index empty or shrunk, its writes made
// during the rebuilds all succeed, and afterwards every snapshot it
// stored is listed and the index verifies; a lease held before and a
// receiver's status are kept.
func TestPostgresRebuildWhileOthersWork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and an S3 server")
	}
	srv := s3test.Start(t)
	b := s3Bucket(t, srv)
	dsn := pgtest.Start(t)
	opts := Options{Logger: quietLogger(), Index: dsn, Bucket: b}
	a, err := Open(t.TempDir(), opts)
	require.NoError(t, err)
	defer a.Close()
	const before = 20
	for run := 1; run <= before; run++ {
		put(t, a, run, "EMC", "C", 1448384710+int64(run), fmt.Sprintf("run %d", run))
	}

	ctx := context.Background()
	// A worker of another machine holds a lease, and a receiver's status
	// is in the index: neither is in the files, both outlive the rebuilds.
	lease, err := a.TryLease(ctx, "process", "1000/TPC", "worker-a", time.Minute)
	require.NoError(t, err)
	status := ReceiverStatus{Subsystem: "TPC", Beat: time.Unix(1448390000, 0), Run: 1000, LastData: time.Unix(1448389990, 0)}
	require.NoError(t, a.PutReceiverStatus(ctx, status))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	minRuns, reads := before, 0
	wg.Add(2)
	go func() { // another machine's web replica, reading
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			runs, err := a.Runs(ctx, overwatch.RunQuery{Limit: 1000})
			if err != nil {
				fail("reading runs: %v", err)
				continue
			}
			mu.Lock()
			minRuns, reads = min(minRuns, len(runs)), reads+1
			mu.Unlock()
		}
	}()
	var written []overwatch.SnapshotInfo
	go func() { // another machine's receiver, writing
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			info, err := a.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 1000 + i%5, Subsystem: "TPC", Mode: "C",
				Time: time.Unix(1448390000+int64(i), 0), Origin: "test"}, strings.NewReader(fmt.Sprintf("snapshot %d", i)))
			if err != nil {
				fail("writing snapshot %d: %v", i, err)
				continue
			}
			mu.Lock()
			written = append(written, info)
			mu.Unlock()
		}
	}()
	var took []time.Duration
	for i := 0; i < 3; i++ {
		st, err := Rebuild(ctx, t.TempDir(), opts)
		require.NoError(t, err)
		took = append(took, st.Duration)
	}
	close(stop)
	wg.Wait()

	assert.Empty(t, problems)
	assert.Equal(t, before, minRuns, "a reader saw the index without some of its runs during a rebuild (%d reads)", reads)
	require.NotEmpty(t, written)
	for _, w := range written {
		infos, err := a.Snapshots(ctx, w.Run, w.Subsystem)
		require.NoError(t, err)
		found := false
		for _, info := range infos {
			found = found || info.SnapshotRef == w.SnapshotRef
		}
		assert.True(t, found, "snapshot %s written during a rebuild is not listed", w.SnapshotRef)
	}
	require.NoError(t, a.Verify(ctx))
	_, err = a.TryLease(ctx, "process", "1000/TPC", "worker-b", time.Minute)
	assert.ErrorIs(t, err, overwatch.ErrLeaseBusy, "the lease held before the rebuilds is still held")
	_, err = a.RenewLease(ctx, lease, time.Minute)
	assert.NoError(t, err, "its holder renews it")
	got, err := a.ReceiverStatus(ctx, "TPC")
	require.NoError(t, err)
	assert.Equal(t, status.Run, got.Run, "the receiver's status is kept")
	assert.True(t, got.Beat.Equal(status.Beat))
	t.Logf("3 rebuilds (%v) while another store read %d times and wrote %d snapshots", took, reads, len(written))
}
