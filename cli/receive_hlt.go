package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/overwatch-dqm/overwatch/receiver/hlt"
	"github.com/overwatch-dqm/overwatch/store"
)

func init() {
	register(&command{
		name:    "receive hlt",
		summary: "receive histograms from an HLT merger over ZeroMQ (the zmqReceive replacement)",
		run:     runReceiveHLT,
	})
}

// hltSecondsFlag is a duration flag that also accepts a plain number of
// seconds ("60", "0.5"), as the original zmqReceive's --sleep and --timeout.
type hltSecondsFlag struct{ d *time.Duration }

func (f hltSecondsFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f hltSecondsFlag) Set(s string) error {
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if v < 0 {
			return fmt.Errorf("negative duration %q", s)
		}
		*f.d = time.Duration(v * float64(time.Second))
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as 60s or a number of seconds: %w", err)
	}
	if d < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	*f.d = d
	return nil
}

func hltLogger(e *env) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func runReceiveHLT(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "receive hlt", "--in 'REQ>tcp://HOST:PORT' --subsystem SYS --data DIR [flags]")
	cfg := hlt.Config{Sleep: hlt.DefaultSleep, Timeout: hlt.DefaultTimeout, BackoffMax: hlt.DefaultBackoffMax}
	fs.StringVar(&cfg.Endpoint, "in", "", "merger socket `spec`, e.g. 'REQ>tcp://localhost:60321'")
	fs.StringVar(&cfg.Subsystem, "subsystem", "", "subsystem of this receiver (EMC, TPC, HLT, ...)")
	data := fs.String("data", "data", "data `directory`: the store (or the drop folder with --drop) and the heartbeat file")
	index := fs.String("index", "", indexUsage)
	blobs := fs.String("blobs", "", blobsUsage)
	fs.StringVar(&cfg.Select, "select", "", "`regexp` of the object names to request (matched anywhere)")
	fs.StringVar(&cfg.Unselect, "unselect", "", "`regexp` of object names to leave out")
	fs.BoolVar(&cfg.ResetOnRequest, "reset", false, "ask the merger to reset after every reply (snapshots hold increments)")
	fs.Var(hltSecondsFlag{&cfg.Sleep}, "sleep", "pause after a reply (duration or seconds)")
	fs.Var(hltSecondsFlag{&cfg.Timeout}, "timeout", "wait for a reply before re-creating the socket (duration or seconds)")
	fs.Var(hltSecondsFlag{&cfg.BackoffMax}, "backoff-max", "longest wait between retries after timeouts")
	fs.BoolVar(&cfg.KeepDuplicates, "keep-duplicates", false, "store replies identical to the previous snapshot of the run")
	fs.BoolVar(&cfg.LegacyTopics, "legacy-topics", false, "send the request with G1 raw string topics (mergers built before Oct 2016)")
	drop := fs.Bool("drop", false, "write receiver-named ROOT files into the data directory instead of the store")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if cfg.Endpoint == "" || cfg.Subsystem == "" {
		return fmt.Errorf("%w: --in and --subsystem are required", errUsage)
	}
	if _, err := hlt.ParseEndpoint(cfg.Endpoint); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return err
	}
	cfg.DataDir = *data
	cfg.Logger = hltLogger(e)
	var sink hlt.Sink
	if *drop {
		sink = hlt.DropSink{Dir: *data}
	} else {
		idx, err := indexOption(e, *index)
		if err != nil {
			return err
		}
		bucket, err := blobsOption(e, *blobs)
		if err != nil {
			return err
		}
		st, err := store.Open(*data, store.Options{Logger: cfg.Logger, Index: idx, Bucket: bucket})
		if err != nil {
			return err
		}
		defer st.Close()
		sink = hlt.StoreSink{Store: st}
		if si := statusIndex(st, bucket); si != nil {
			cfg.Status = statusToIndex(si, cfg.Subsystem, cfg.Logger)
		}
	}
	return hlt.New(cfg, sink).Run(ctx)
}
