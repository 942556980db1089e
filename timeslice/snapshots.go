package timeslice

import (
	"context"
	"fmt"
	"io"

	ow "github.com/overwatch-dqm/overwatch"
)

// SnapshotOpener opens stored snapshot files.
type SnapshotOpener interface {
	OpenSnapshot(ctx context.Context, ref ow.SnapshotRef) (io.ReadCloser, error)
}

// DecodeSnapshot reads a stored snapshot and decodes it with decode
// (overwatch.DecodeFile when nil): the one way processing and the
// time-slice service turn a snapshot into objects.
func DecodeSnapshot(ctx context.Context, st SnapshotOpener, ref ow.SnapshotRef, decode func([]byte) (*ow.File, error)) (*ow.File, error) {
	if decode == nil {
		decode = ow.DecodeFile
	}
	rc, err := st.OpenSnapshot(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("timeslice: opening snapshot %s: %w", ref, err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("timeslice: reading snapshot %s: %w", ref, err)
	}
	f, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("timeslice: decoding snapshot %s: %w", ref, err)
	}
	return f, nil
}

// SumSnapshots decodes reset-mode snapshots (each holding only what arrived
// since the previous one) and sums them: the state of the run over their
// span, as processing shows a run and as the time-slice service builds a
// window. A snapshot that fails to decode ends the sum with its error,
// unless skip (when not nil) returns true for it: then it is left out.
// progress (when not nil) is told how many snapshots were read.
func SumSnapshots(ctx context.Context, st SnapshotOpener, snaps []ow.SnapshotInfo, decode func([]byte) (*ow.File, error),
	skip func(ow.SnapshotInfo, error) bool, progress func(read int)) (*ow.File, []ObjectReport, error) {
	files := make([]*ow.File, 0, len(snaps))
	for i, sn := range snaps {
		f, err := DecodeSnapshot(ctx, st, sn.SnapshotRef, decode)
		if err != nil {
			if skip != nil && skip(sn, err) {
				continue
			}
			return nil, nil, err
		}
		files = append(files, f)
		if progress != nil {
			progress(i + 1)
		}
	}
	return SumFiles(files...)
}
