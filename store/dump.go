package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// DumpOptions select what DumpIndex leaves out.
type DumpOptions struct {
	// NoSources leaves out the Source of snapshots, the one field a
	// rebuild cannot restore, so that a dump can be compared with the
	// dump of a rebuilt index.
	NoSources bool
}

// DumpIndex writes the content of the index in a canonical text form, one
// line per run, snapshot, trend point and alarm, in key order. Two indexes
// with equal dumps answer every query equally. Crash bookkeeping (crash
// markers, journal offsets) is not part of the dump.
func (s *Store) DumpIndex(w io.Writer, o DumpOptions) error {
	bw := bufio.NewWriter(w)
	err := s.db.View(func(tx *bolt.Tx) error {
		fmt.Fprintf(bw, "runs %d\n", runCount(tx))
		if err := tx.Bucket(bRuns).ForEach(func(k, v []byte) error {
			r, err := decodeRun(v)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(r) // map keys sorted: canonical
			fmt.Fprintf(bw, "run %d %s\n", bytesToUint(k), b)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bSnaps).ForEach(func(k, v []byte) error {
			run, sys, st, err := parseSnapKey(k)
			if err != nil {
				return err
			}
			var sr snapRecord
			if err := sr.decode(v); err != nil {
				return err
			}
			if o.NoSources {
				sr.Source = ""
			}
			fmt.Fprintf(bw, "snap %d %s %d.%d %s %d %q\n", run, sys, st.T, st.Seq, sr.Name, sr.Size, sr.Source)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bTrends).ForEach(func(k, v []byte) error {
			var l trendLine
			if err := json.Unmarshal(v, &l); err != nil {
				return err
			}
			b, _ := json.Marshal(l)
			fmt.Fprintf(bw, "trend %s\n", b)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bAlarms).ForEach(func(k, v []byte) error {
			fmt.Fprintf(bw, "alarm %q %s\n", k, v)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("store: dump index: %w", err)
	}
	return bw.Flush()
}

// Verify checks that the index equals an index rebuilt from the files
// alone (compared with DumpIndex, sources left out) and returns an error
// naming the first difference. It holds the store's writer locks while it
// works, so writes through this Store wait; the rebuilt index is written
// to a temporary file and removed.
func (s *Store) Verify(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trendMu.Lock()
	defer s.trendMu.Unlock()
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	f, err := os.CreateTemp("", "overwatch-verify-*.index")
	if err != nil {
		return fmt.Errorf("store: verify: %w", err)
	}
	tmp := f.Name()
	_ = f.Close()
	_ = os.Remove(tmp)
	defer os.Remove(tmp)
	if _, err := rebuildIndex(ctx, s.dir, tmp, s.opts, false); err != nil {
		return fmt.Errorf("store: verify: %w", err)
	}
	db, err := bolt.Open(tmp, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: verify: open rebuilt index: %w", err)
	}
	defer db.Close()
	var have, want bytes.Buffer
	if err := s.DumpIndex(&have, DumpOptions{NoSources: true}); err != nil {
		return err
	}
	if err := (&Store{db: db}).DumpIndex(&want, DumpOptions{NoSources: true}); err != nil {
		return err
	}
	if bytes.Equal(have.Bytes(), want.Bytes()) {
		return nil
	}
	h, w := strings.Split(have.String(), "\n"), strings.Split(want.String(), "\n")
	for i := 0; i < len(h) || i < len(w); i++ {
		var a, b string
		if i < len(h) {
			a = h[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Errorf("store: verify: index differs from a rebuild at line %d: index has %q, rebuild has %q", i+1, a, b)
		}
	}
	return errors.New("store: verify: index differs from a rebuild")
}
