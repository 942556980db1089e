// Command crashtest is the helper program of the store's crash test: it
// opens a store and writes snapshots, outputs, trend points and alarms in
// a loop until it is killed, or (-drop) ingests a drop folder. Every file it writes carries its own length
// and checksum (see Payload and Valid), so that the test can tell a half
// file from a whole one.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/internal/crashtest/payload"
)

func main() {
	dir := flag.String("dir", "", "store directory")
	seed := flag.Int64("seed", 1, "run-number base and payload seed")
	drop := flag.String("drop", "", "ingest this drop folder until it is empty instead")
	flag.Parse()
	var err error
	if *drop != "" {
		err = ingest(*dir, *drop)
	} else {
		err = run(*dir, *seed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashtest:", err)
		os.Exit(1)
	}
}

// ingest moves the drop folder's files into the store until none is left.
func ingest(dir, drop string) error {
	s, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), IngestSettle: time.Nanosecond})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Println("ready")
	for {
		st, err := s.Ingest(context.Background(), drop)
		if err != nil {
			return err
		}
		if st.Ingested+st.Duplicates+st.Quarantined+st.Waiting == 0 {
			fmt.Println("done")
			return nil
		}
	}
}

func run(dir string, seed int64) error {
	s, err := store.Open(dir, store.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	ctx := context.Background()
	subs := []string{"EMC", "HLT", "TPC"}
	t0 := time.Unix(1448384710, 0)
	for i := int64(0); ; i++ {
		run := int(seed*1000 + i%7 + 1)
		sys := subs[i%3]
		data := payload.Make(seed*1_000_000+i, int(i%50)*997+10)
		meta := overwatch.SnapshotMeta{Run: run, Subsystem: sys, Mode: overwatch.ModeCompress, Time: t0.Add(time.Duration(i/2) * time.Second), Origin: "crashtest"}
		info, err := s.PutSnapshot(ctx, meta, bytesReader(data))
		if err != nil {
			return err
		}
		out := overwatch.OutputRef{Run: run, Subsystem: sys, Name: fmt.Sprintf("h/%d", i%5), Kind: overwatch.OutputJSON}
		if err := s.PutOutput(ctx, out, payload.Make(i, 3000)); err != nil {
			return err
		}
		if i%4 == 0 {
			pt := overwatch.TrendPoint{Subsystem: sys, Trend: "mean", Run: run, Time: info.Time, Seq: info.Seq, Value: float64(i)}
			if err := s.PutTrendPoints(ctx, []overwatch.TrendPoint{pt}); err != nil {
				return err
			}
		}
		if i%9 == 0 {
			a := overwatch.AlarmRecord{Subsystem: sys, Trend: "mean", Alarm: "between", State: overwatch.AlarmFiring, Run: run, Message: fmt.Sprint(i)}
			if err := s.PutAlarm(ctx, a); err != nil {
				return err
			}
		}
	}
}

// reader hands out its bytes in small pieces.
type reader struct {
	b []byte
	i int
}

// Read implements io.Reader.
func (r *reader) Read(p []byte) (int, error) {
	if r.i >= len(r.b) {
		return 0, io.EOF
	}
	// Small reads, so that a kill often lands in the middle of a file.
	n := copy(p[:min(len(p), 4096)], r.b[r.i:])
	r.i += n
	return n, nil
}

func bytesReader(b []byte) io.Reader { return &reader{b: b} }
