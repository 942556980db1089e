package store

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"

	"github.com/stretchr/testify/require"
)

// crash ends s as a killed process would: the index and the locks are
// released by the kernel, the crash markers stay and the writer file is
// left behind unlocked.
func crash(t testing.TB, s *Store) {
	t.Helper()
	s.watchMu.Lock()
	s.closed = true
	close(s.done)
	s.watchMu.Unlock()
	<-s.polled
	require.NoError(t, s.x.close())
	require.NoError(t, s.writerLock.Close())
	require.NoError(t, unlockDir(s.lock))
}

// fillRuns indexes runs × 3 subsystems × perSub snapshots directly
// (without files), runs 100001…, in one transaction.
func fillRuns(tb testing.TB, s *Store, runs, perSub int) {
	tb.Helper()
	ctx := context.Background()
	err := s.x.tx(ctx, func(tx *sql.Tx) error {
		for r := 1; r <= runs; r++ {
			if _, err := s.x.ensureRun(ctx, tx, 100000+r, overwatch.ModeCompress); err != nil {
				return err
			}
			for i, sys := range []string{"EMC", "HLT", "TPC"} {
				for k := 0; k < perSub; k++ {
					t := time.Unix(1448384710+int64(r*3600+i+60*k), 0)
					if _, err := s.x.insertSnapshot(ctx, tx, 100000+r, sys, stamp{T: t.Unix()}, snapRecord{Name: FormatMovedName(sys, t, 0), Size: 1 << 20}, s.writer); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	require.NoError(tb, err)
}
