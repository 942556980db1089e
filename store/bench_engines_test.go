package store

import (
	"bytes"
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/pgtest"
	"github.com/stretchr/testify/require"
)

// benchEngines runs fn on each index engine: SQLite, and PostgreSQL when
// it is installed.
func benchEngines(b *testing.B, fn func(b *testing.B, s *Store)) {
	b.Run("sqlite", func(b *testing.B) {
		s := openTest(b, b.TempDir())
		fn(b, s)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := pgtest.Start(b)
		s, err := Open(b.TempDir(), Options{Logger: quietLogger(), Index: dsn})
		require.NoError(b, err)
		b.Cleanup(func() { _ = s.Close() })
		fn(b, s)
	})
}

// BenchmarkEnginePutSnapshot stores 4 KiB snapshots (fsynced file and
// directory, then one index transaction).
func BenchmarkEnginePutSnapshot(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *Store) {
		data := bytes.Repeat([]byte("r"), 4<<10)
		ctx := context.Background()
		t0 := time.Unix(1448384710, 0)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, err := s.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: 1 + i/1000, Subsystem: "EMC", Mode: "C", Time: t0.Add(time.Duration(i) * time.Second)}, bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEngineRunsNewest50 lists the newest 50 of 10,000 runs with 3
// subsystems each.
func BenchmarkEngineRunsNewest50(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *Store) {
		fillRuns(b, s, 10000, 1)
		ctx := context.Background()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			list, err := s.Runs(ctx, overwatch.RunQuery{Limit: 50})
			if err != nil || len(list) != 50 || list[0].Number != 110000 || len(list[0].Subsystems) != 3 {
				b.Fatal(err, len(list))
			}
		}
	})
}

// BenchmarkEngineTrend10000 reads one 10,000-point trend series (of a
// subsystem with 5 trends).
func BenchmarkEngineTrend10000(b *testing.B) {
	benchEngines(b, func(b *testing.B, s *Store) {
		ctx := context.Background()
		t0 := time.Unix(1448384710, 0)
		err := s.x.tx(ctx, func(tx *sql.Tx) error {
			w, err := s.x.newTrendWriter(ctx, tx)
			if err != nil {
				return err
			}
			defer w.close()
			for k, name := range []string{"a", "b", "mean", "rms", "z"} {
				for i := 0; i < 10000; i++ {
					l := trendLine{Subsystem: "EMC", Trend: name, Run: 1 + i/100, T: t0.Add(time.Duration(i) * time.Minute).UnixNano(), Value: jfloat(i + k)}
					if err := w.put(ctx, l); err != nil {
						return err
					}
				}
			}
			return nil
		})
		require.NoError(b, err)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			pts, err := s.TrendPoints(ctx, overwatch.TrendQuery{Subsystem: "EMC", Trend: "mean"})
			if err != nil || len(pts) != 10000 {
				b.Fatal(err, len(pts))
			}
		}
	})
}
