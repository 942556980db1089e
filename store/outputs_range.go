package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

var _ overwatch.OutputRanger = (*Store)(nil)

// OpenOutput returns n bytes of an output from offset off (n < 0: to the
// end of the file); the error wraps overwatch.ErrNotFound when it is
// absent. Outputs are replaced by rename, or by a new object version on a
// bucket whose superseded object stays for a grace period, so an open
// reader keeps reading the version it opened.
func (s *Store) OpenOutput(ctx context.Context, ref overwatch.OutputRef, off, n int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("store: output %+v: negative offset %d", ref, off)
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return nil, err
	}
	if s.outBucket {
		rc, _, err := s.openOutputObject(ctx, rel, off, n)
		return rc, err
	}
	f, err := os.Open(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: output %s: %w", rel, overwatch.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open output %s: %w", rel, err)
	}
	if n < 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("store: seek output %s: %w", rel, err)
		}
		return f, nil
	}
	return &sectionCloser{SectionReader: io.NewSectionReader(f, off, n), f: f}, nil
}

type sectionCloser struct {
	*io.SectionReader
	f *os.File
}

func (s *sectionCloser) Close() error { return s.f.Close() }

// OutputInfo returns an output's size and modification time; the error
// wraps overwatch.ErrNotFound when it is absent. SHA256 is the content's
// on a bucket (from the index); it is empty in the data directory: a
// local file has no stored checksum, and computing one would read it
// whole.
func (s *Store) OutputInfo(ctx context.Context, ref overwatch.OutputRef) (overwatch.OutputInfo, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.OutputInfo{}, err
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return overwatch.OutputInfo{}, err
	}
	if s.outBucket {
		row, err := s.outputObject(ctx, rel)
		if err != nil {
			return overwatch.OutputInfo{}, err
		}
		return overwatch.OutputInfo{Size: row.Size, Time: time.Unix(0, row.MTime), SHA256: row.SHA256}, nil
	}
	fi, err := os.Stat(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return overwatch.OutputInfo{}, fmt.Errorf("store: output %s: %w", rel, overwatch.ErrNotFound)
	}
	if err != nil {
		return overwatch.OutputInfo{}, fmt.Errorf("store: stat output %s: %w", rel, err)
	}
	return overwatch.OutputInfo{Size: fi.Size(), Time: fi.ModTime()}, nil
}
