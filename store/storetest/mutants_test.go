package storetest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/storetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A mutant is the directory store with one documented behaviour broken;
// the check named must catch it. This shows that the suite's checks can
// fail.
var mutants = []struct {
	name, check string
}{
	{"snapshots-newest-first", "Snapshots/Order"},
	{"partial-put", "Snapshots/FailingReader"},
	{"runs-before-inclusive", "Runs/Keyset"},
	{"runs-oldest-first", "Runs/NewestFirst"},
	{"notfound-unwrapped", "NotFound"},
	{"output-time-frozen", "Outputs/Replace"},
	{"trend-limit-oldest", "Trends/Query"},
	{"trend-points-duplicated", "Trends/Idempotent"},
	{"racy-history", "AlarmHistory/Concurrent"},
	{"watch-ignores-cancel", "Watch/Cancel"},
	{"context-ignored", "Context/Cancelled"},
	{"rebuild-loses-trends", "Rebuild"},
	{"reopen-loses-alarms", "Reopen"},
	{"second-is-separate", "Shared/Visible"},
	{"output-range-from-start", "Outputs/Ranged"},
	{"output-absent-unwrapped", "Outputs/Absent"},
	{"prune-keeps-outputs", "Outputs/Prune"},
	{"rebuild-loses-outputs", "Outputs/Rebuild"},
}

// mutant wraps the directory store, breaking what kind says.
type mutant struct {
	overwatch.Store
	kind string
	n    atomic.Int64
}

func (m *mutant) Unwrap() overwatch.Store { return m.Store }

func (m *mutant) Snapshots(ctx context.Context, run int, sys string) ([]overwatch.SnapshotInfo, error) {
	l, err := m.Store.Snapshots(m.ctx(ctx), run, sys)
	if m.kind == "snapshots-newest-first" {
		slices.Reverse(l)
	}
	return l, err
}

func (m *mutant) PutSnapshot(ctx context.Context, meta overwatch.SnapshotMeta, r io.Reader) (overwatch.SnapshotInfo, error) {
	if m.kind == "partial-put" {
		b, rerr := io.ReadAll(r)
		info, err := m.Store.PutSnapshot(ctx, meta, bytes.NewReader(b))
		if rerr != nil {
			return info, rerr
		}
		return info, err
	}
	return m.Store.PutSnapshot(m.ctx(ctx), meta, r)
}

func (m *mutant) Runs(ctx context.Context, q overwatch.RunQuery) ([]overwatch.RunInfo, error) {
	if m.kind == "runs-before-inclusive" && q.Before > 0 {
		q.Before++
	}
	l, err := m.Store.Runs(m.ctx(ctx), q)
	if m.kind == "runs-oldest-first" {
		slices.Reverse(l)
	}
	return l, err
}

func (m *mutant) RunInfo(ctx context.Context, n int) (overwatch.RunInfo, error) {
	r, err := m.Store.RunInfo(m.ctx(ctx), n)
	if err != nil && m.kind == "notfound-unwrapped" {
		err = errors.New(err.Error())
	}
	return r, err
}

func (m *mutant) OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error) {
	t, err := m.Store.OutputTime(m.ctx(ctx), ref)
	if m.kind == "output-time-frozen" {
		t = t.Truncate(time.Hour)
	}
	return t, err
}

func (m *mutant) TrendPoints(ctx context.Context, q overwatch.TrendQuery) ([]overwatch.TrendPoint, error) {
	if m.kind == "trend-limit-oldest" && q.Limit > 0 {
		limit := q.Limit
		q.Limit = 0
		pts, err := m.Store.TrendPoints(ctx, q)
		return pts[:min(limit, len(pts))], err
	}
	return m.Store.TrendPoints(m.ctx(ctx), q)
}

func (m *mutant) PutTrendPoints(ctx context.Context, pts []overwatch.TrendPoint) error {
	if m.kind == "trend-points-duplicated" {
		pts = slices.Clone(pts)
		for i := range pts {
			pts[i].Seq += int(m.n.Add(1)) * 1000
		}
	}
	return m.Store.PutTrendPoints(m.ctx(ctx), pts)
}

func (m *mutant) Watch(ctx context.Context) <-chan overwatch.SnapshotInfo {
	if m.kind == "watch-ignores-cancel" {
		ctx = context.Background()
	}
	return m.Store.Watch(ctx)
}

func (m *mutant) Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error) {
	return m.Store.Output(m.ctx(ctx), ref)
}

func (m *mutant) PutOutput(ctx context.Context, ref overwatch.OutputRef, data []byte) error {
	return m.Store.PutOutput(m.ctx(ctx), ref, data)
}

func (m *mutant) OpenOutput(ctx context.Context, ref overwatch.OutputRef, off, n int64) (io.ReadCloser, error) {
	if m.kind == "output-range-from-start" {
		off = 0
	}
	return m.Store.(overwatch.OutputRanger).OpenOutput(m.ctx(ctx), ref, off, n)
}

func (m *mutant) OutputInfo(ctx context.Context, ref overwatch.OutputRef) (overwatch.OutputInfo, error) {
	info, err := m.Store.(overwatch.OutputRanger).OutputInfo(m.ctx(ctx), ref)
	if err != nil && m.kind == "output-absent-unwrapped" {
		err = errors.New(err.Error())
	}
	return info, err
}

func (m *mutant) DeleteRun(ctx context.Context, run int) error {
	if m.kind == "prune-keeps-outputs" {
		return nil
	}
	return m.Store.(interface {
		DeleteRun(context.Context, int) error
	}).DeleteRun(m.ctx(ctx), run)
}

// ctx is the context the mutant passes on.
func (m *mutant) ctx(ctx context.Context) context.Context {
	if m.kind == "context-ignored" {
		return context.Background()
	}
	return ctx
}

// TestMutants runs each mutant's check in a child test binary and
// expects it to fail.
func TestMutants(t *testing.T) {
	if os.Getenv("STORETEST_MUTANT") != "" {
		t.Skip("in a mutant's child")
	}
	for _, mu := range mutants {
		t.Run(mu.name, func(t *testing.T) {
			t.Parallel()
			pattern := "^TestMutantChild$"
			for _, part := range strings.Split(mu.check, "/") {
				pattern += "/^" + part + "$"
			}
			cmd := exec.Command(os.Args[0], "-test.run", pattern, "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "STORETEST_MUTANT="+mu.name)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the mutant passed %s:\n%s", mu.check, out)
			assert.Contains(t, string(out), "--- FAIL: TestMutantChild/"+mu.check, "%s", out)
		})
	}
}

// TestMutantChild runs the suite on the mutant STORETEST_MUTANT names.
func TestMutantChild(t *testing.T) {
	kind := os.Getenv("STORETEST_MUTANT")
	if kind == "" {
		t.Skip("run by TestMutants")
	}
	open := func(t *testing.T) overwatch.Store {
		if kind == "racy-history" {
			h := openWithHistory(t).(*historyStore)
			h.racy = true
			return h
		}
		return &mutant{Store: openDir(t), kind: kind}
	}
	opts := dirOptions
	opts.Runs = 30
	switch kind {
	case "second-is-separate":
		opts.Second = func(t *testing.T, _ overwatch.Store) overwatch.Store { return openDir(t) }
	case "rebuild-loses-trends":
		opts.Rebuild = func(t *testing.T, s overwatch.Store) overwatch.Store {
			dir := dirOf(t, s)
			require.NoError(t, os.RemoveAll(filepath.Join(dir, "trending")))
			return rebuildDir(t, s)
		}
	case "rebuild-loses-outputs":
		opts.Rebuild = func(t *testing.T, s overwatch.Store) overwatch.Store {
			require.NoError(t, os.RemoveAll(filepath.Join(dirOf(t, s), "Run12")))
			return rebuildDir(t, s)
		}
	case "reopen-loses-alarms":
		opts.Reopen = func(t *testing.T, s overwatch.Store) overwatch.Store {
			dir := dirOf(t, s)
			require.NoError(t, s.Close())
			require.NoError(t, os.RemoveAll(filepath.Join(dir, "alarms")))
			_, err := store.Rebuild(context.Background(), dir, store.Options{Logger: quiet()})
			require.NoError(t, err)
			s2, err := store.Open(dir, store.Options{Logger: quiet()})
			require.NoError(t, err)
			return s2
		}
	}
	storetest.Run(t, open, opts)
}
