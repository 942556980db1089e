package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/internal/fsio"
)

// PutOutput writes an output atomically (see OutputPath for the layout),
// replacing any previous one: a file of the data directory renamed into
// place, or a new object version on another bucket (outputs_bucket.go).
func (s *Store) PutOutput(ctx context.Context, ref overwatch.OutputRef, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return err
	}
	if s.outBucket {
		return s.putOutputObject(ctx, rel, data)
	}
	// The folder is marked first, so that a crash during the write (a
	// temporary file left) is repaired by the next Open; trending outputs
	// (Run 0) too.
	folder := trendingDir + "/" + ref.Subsystem
	if ref.Run > 0 {
		folder = snapshotDir(ref.Run, ref.Subsystem)
	}
	done, err := s.beginWrite(folder)
	if err != nil {
		return err
	}
	defer done()
	dir, name := filepath.Split(s.abs(rel))
	if err := fsio.Mkdirs(s.dir, filepath.Dir(filepath.FromSlash(rel))); err != nil {
		return err
	}
	if err := fsio.WriteAtomic(dir, name, data, !s.opts.NoSyncOutputs); err != nil {
		return err
	}
	if ref.Kind == overwatch.OutputBundle {
		return removeSuperseded(dir)
	}
	return nil
}

// removeSuperseded removes, beside a bundle just written in dir, the
// per-file outputs that stores wrote before bundles (JSON, hints, view):
// the bundle holds them all and they are never served again once it
// exists, so reprocessing an old store frees their files. Images stay
// (--png eager writes them beside the bundle).
func removeSuperseded(dir string) error {
	for _, name := range []string{"json", "hints", string(overwatch.OutputView) + ".json"} {
		p := filepath.Join(dir, name)
		if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("store: remove outputs superseded by the bundle: %w", err)
		}
	}
	return nil
}

// Output reads an output; the error wraps ErrNotFound when it is absent.
func (s *Store) Output(ctx context.Context, ref overwatch.OutputRef) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return nil, err
	}
	if s.outBucket {
		return s.readOutputObject(ctx, rel)
	}
	b, err := os.ReadFile(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: output %s: %w", rel, overwatch.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: read output %s: %w", rel, err)
	}
	return b, nil
}

// OutputTime returns when an output was last written (its file's
// modification time, or its version on a bucket); the error wraps
// ErrNotFound when it is absent.
func (s *Store) OutputTime(ctx context.Context, ref overwatch.OutputRef) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	rel, err := OutputPath(ref)
	if err != nil {
		return time.Time{}, err
	}
	if s.outBucket {
		row, err := s.outputObject(ctx, rel)
		if err != nil {
			return time.Time{}, err
		}
		return time.Unix(0, row.MTime), nil
	}
	fi, err := os.Stat(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, fmt.Errorf("store: output %s: %w", rel, overwatch.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("store: stat output %s: %w", rel, err)
	}
	return fi.ModTime(), nil
}
