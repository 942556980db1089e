package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// ReceiverStatus is what a receiver last said of itself: its heartbeat and
// its data status (the run its source reports and when that run last
// brought new data). Receivers write it to a data directory's files
// (packages heartbeat and receiver); with blobs on a bucket every machine
// has a data directory of its own, so they also keep it in the index,
// where every web replica reads it. It is not in the files, so it is not
// rebuilt: a rebuild on PostgreSQL (other machines at work) keeps it; on
// SQLite, where no process has the directory open during a rebuild, it
// is gone, and a receiver that lives writes it again within seconds.
type ReceiverStatus struct {
	Subsystem string
	Beat      time.Time // the heartbeat (whole seconds)
	Run       int       // the run its source reports; 0: none
	LastData  time.Time // when that run last brought new data
}

func validReceiverSubsystem(sys string) error {
	if sys == "" || len(sys) > 64 || strings.ContainsAny(sys, "/\\") {
		return fmt.Errorf("store: receiver status: invalid subsystem %q", sys)
	}
	return nil
}

// PutReceiverStatus records st, replacing the subsystem's previous one.
func (s *Store) PutReceiverStatus(ctx context.Context, st ReceiverStatus) error {
	if err := validReceiverSubsystem(st.Subsystem); err != nil {
		return err
	}
	_, err := s.x.w.ExecContext(ctx, s.x.d.q(`INSERT INTO receiver_status (sys, beat, run, last_data) VALUES (?, ?, ?, ?)
		ON CONFLICT (sys) DO UPDATE SET beat = excluded.beat, run = excluded.run, last_data = excluded.last_data`),
		st.Subsystem, st.Beat.Unix(), st.Run, st.LastData.Unix())
	if err != nil {
		return fmt.Errorf("store: receiver status %s: %w", st.Subsystem, err)
	}
	return nil
}

// ReceiverStatus returns what the subsystem's receiver last recorded; an
// error wrapping fs.ErrNotExist when it never did.
func (s *Store) ReceiverStatus(ctx context.Context, sys string) (ReceiverStatus, error) {
	if err := validReceiverSubsystem(sys); err != nil {
		return ReceiverStatus{}, err
	}
	var beat, run, last int64
	err := s.x.r.QueryRowContext(ctx, s.x.d.q(`SELECT beat, run, last_data FROM receiver_status WHERE sys = ?`), sys).Scan(&beat, &run, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return ReceiverStatus{}, fmt.Errorf("store: receiver status %s: %w", sys, fs.ErrNotExist)
	}
	if err != nil {
		return ReceiverStatus{}, fmt.Errorf("store: receiver status %s: %w", sys, err)
	}
	return ReceiverStatus{Subsystem: sys, Beat: time.Unix(beat, 0), Run: int(run), LastData: time.Unix(last, 0)}, nil
}
