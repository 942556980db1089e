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
	"path/filepath"
	"strings"

	"github.com/overwatch-dqm/overwatch"
)

// DumpOptions select what DumpIndex leaves out.
type DumpOptions struct {
	// NoSources leaves out the Origin of snapshots, the one field a
	// rebuild cannot restore, so that a dump can be compared with the
	// dump of a rebuilt index.
	NoSources bool
}

// DumpIndex writes the content of the index in a canonical text form, one
// line per run, snapshot, trend point, alarm and alarm event, in key
// order; the form is the same on every engine. Two indexes with equal
// dumps answer every query equally. Crash bookkeeping (crash markers,
// journal offsets) and row numbers are not part of the dump.
func (s *Store) DumpIndex(w io.Writer, o DumpOptions) error {
	return dumpIndex(context.Background(), s.x, w, o)
}

func dumpIndex(ctx context.Context, x *db, w io.Writer, o DumpOptions) error {
	bw := bufio.NewWriter(w)
	err := func() error {
		n, err := x.countRuns(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "runs %d\n", n)
		page, err := x.runsPage(ctx, 0, 0)
		if err != nil {
			return err
		}
		for i := len(page) - 1; i >= 0; i-- {
			b, _ := json.Marshal(page[i].rec) // map keys sorted: canonical
			fmt.Fprintf(bw, "run %d %s\n", page[i].run, b)
		}
		rows, err := x.r.QueryContext(ctx, "SELECT run, sys, t, seq, name, size, origin, accumulation FROM snapshots ORDER BY run, sys, t, seq")
		if err != nil {
			return err
		}
		for rows.Next() {
			var run int
			var sys string
			var st stamp
			var sr snapRecord
			if err := rows.Scan(&run, &sys, &st.T, &st.Seq, &sr.Name, &sr.Size, &sr.Source, (*string)(&sr.Accumulation)); err != nil {
				rows.Close()
				return err
			}
			if o.NoSources {
				sr.Source = ""
			}
			fmt.Fprintf(bw, "snap %d %s %d.%d %s %d %q", run, sys, st.T, st.Seq, sr.Name, sr.Size, sr.Source)
			if sr.Accumulation != overwatch.AccumulationUnset {
				fmt.Fprintf(bw, " %s", sr.Accumulation)
			}
			bw.WriteByte('\n')
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		err = x.trendLines(ctx, x.r, "SELECT "+trendColumns+" FROM trend_points ORDER BY sys, trend, t, seq", nil, func(l trendLine) error {
			b, _ := json.Marshal(l)
			fmt.Fprintf(bw, "trend %s\n", b)
			return nil
		})
		if err != nil {
			return err
		}
		if err := dumpRows(ctx, x, bw, "SELECT id, doc FROM alarms ORDER BY id", "alarm"); err != nil {
			return err
		}
		if err := dumpRows(ctx, x, bw, "SELECT h, doc FROM alarm_events ORDER BY t, h", "event"); err != nil {
			return err
		}
		return dumpDocuments(ctx, x, bw)
	}()
	if err != nil {
		return fmt.Errorf("store: dump index: %w", err)
	}
	return bw.Flush()
}

// dumpRows writes "<kind> <key> <doc>" for every (key, doc) row of query.
func dumpRows(ctx context.Context, x *db, w io.Writer, query, kind string) error {
	rows, err := x.r.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k, doc string
		if err := rows.Scan(&k, &doc); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s %q %s\n", kind, k, doc)
	}
	return rows.Err()
}

// Verify checks that the index equals an index rebuilt from the files
// alone (compared with DumpIndex, sources left out) and returns an error
// naming the first difference. It holds the store's writer locks while it
// works, so writes through this Store wait (writes of other processes do
// not: verify a quiet store); the rebuilt index is a temporary SQLite
// file, removed afterwards.
func (s *Store) Verify(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trendMu.Lock()
	defer s.trendMu.Unlock()
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	tmpDir, err := os.MkdirTemp("", "overwatch-verify-")
	if err != nil {
		return fmt.Errorf("store: verify: %w", err)
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, sqliteFile)
	if _, err := rebuildSQLiteFile(ctx, s.dir, tmp, s.opts, false); err != nil {
		return fmt.Errorf("store: verify: %w", err)
	}
	rx, err := openSQLite(tmp, s.opts.LockTimeout, true)
	if err != nil {
		return fmt.Errorf("store: verify: open rebuilt index: %w", err)
	}
	defer rx.close()
	var have, want bytes.Buffer
	if err := dumpIndex(ctx, s.x, &have, DumpOptions{NoSources: true}); err != nil {
		return err
	}
	if err := dumpIndex(ctx, rx, &want, DumpOptions{NoSources: true}); err != nil {
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

// dumpDocuments writes "doc <kind> <name> <version> <document>" for every
// document version, in key order.
func dumpDocuments(ctx context.Context, x *db, w io.Writer) error {
	rows, err := x.r.QueryContext(ctx, "SELECT "+documentColumns+" FROM documents ORDER BY kind, name, version")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(d)
		fmt.Fprintf(w, "doc %q %q %d %s\n", d.Kind, d.Name, d.Version, b)
	}
	return rows.Err()
}
