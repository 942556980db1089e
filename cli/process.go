package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/trending"
)

func init() {
	register(&command{
		name:    "process",
		summary: "process stored snapshots into outputs (JSROOT JSON, hints, PNG, views) and trends",
		run:     runProcess,
	})
}

// intListFlag collects integers given as repeated flags or comma lists.
type intListFlag struct{ v *[]int }

func (f intListFlag) String() string {
	if f.v == nil {
		return ""
	}
	s := make([]string, len(*f.v))
	for i, n := range *f.v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func (f intListFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n <= 0 {
			return fmt.Errorf("want a positive run number, got %q", part)
		}
		*f.v = append(*f.v, n)
	}
	return nil
}

// stringListFlag collects subsystem names given as repeated flags or comma
// lists.
type stringListFlag struct{ v *[]string }

func (f stringListFlag) String() string {
	if f.v == nil {
		return ""
	}
	return strings.Join(*f.v, ",")
}

func (f stringListFlag) Set(s string) error {
	for _, part := range strings.Split(s, ",") {
		part = strings.ToUpper(strings.TrimSpace(part))
		if part == "" {
			continue
		}
		*f.v = append(*f.v, part)
	}
	return nil
}

func runProcess(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "process", "--data DIR [--once|--watch] [--index sqlite|postgres] [--blobs dir|s3://…|root://…] [--force-run N] [--force-subsystem SYS] [--force-all] [flags]")
	var (
		dataDir      = fs.String("data", "", "data `directory` of the store (required)")
		once         = fs.Bool("once", false, "process what is out of date (and what is forced), then exit")
		watch        = fs.Bool("watch", false, "keep running: process snapshots as they are stored (the default)")
		forceAll     = fs.Bool("force-all", false, "reprocess every subsystem of every run")
		resetMode    = fs.Bool("reset-mode", false, "snapshots that do not record whether they are cumulative or reset (older stores, and those --ingest takes) hold only the data since the previous one (sum them); default cumulative")
		noPNG        = fs.Bool("no-png", false, "do not render PNG images (with --png eager)")
		pngMode      = fs.String("png", "demand", "when histogram images are rendered: `demand` (by their readers, from the bundle) or eager (during processing)")
		noTrending   = fs.Bool("no-trending", false, "do not record trends and alarms")
		workers      = fs.Int("workers", 0, "histograms processed at once (default GOMAXPROCS)")
		scanInterval = fs.Duration("scan-interval", 30*time.Second, "period of the scan for missed snapshots (watch mode)")
		ingestDir    = fs.String("ingest", "", "also move receiver files from this drop `directory` into the store (watch mode)")
		ingestEvery  = fs.Duration("ingest-every", 2*time.Second, "period of the drop-folder ingestion")
		syncOutputs  = fs.Bool("sync-outputs", false, "fsync every output (outputs are atomic either way and can be recomputed from the snapshots)")
		verbose      = fs.Bool("v", false, "debug logging")
		index        = fs.String("index", "", indexUsage)
		blobs        = fs.String("blobs", "", blobsUsage)
		noShare      = fs.Bool("no-share", false, "do all the work alone: take no leases (only when no other worker shares the store)")
		holder       = fs.String("holder", "", "this worker's `name` in leases, unique among the workers (default host/pid/random); a worker restarted under its name takes its own leases back at once")
		leaseTTL     = fs.Duration("lease-ttl", processing.DefaultLeaseTTL, "how long a worker's lease on a run lasts unless renewed: how soon a dead worker's work is taken over")
		forceRuns    []int
		forceSubs    []string
		subsystems   []string
	)
	fs.Var(intListFlag{&forceRuns}, "force-run", "reprocess this run `N` (repeatable, or a comma list)")
	fs.Var(stringListFlag{&forceSubs}, "force-subsystem", "reprocess this subsystem `SYS` (repeatable, or a comma list; combined with --force-run: both must match)")
	fs.Var(stringListFlag{&subsystems}, "subsystems", "configured subsystems `LIST` (default EMC,TPC,HLT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *dataDir == "" {
		return fmt.Errorf("%w: --data is required", errUsage)
	}
	if *once && *watch {
		return fmt.Errorf("%w: --once and --watch exclude each other", errUsage)
	}
	if _, err := processing.ParsePNGMode(*pngMode); err != nil {
		return fmt.Errorf("%w: --png: %w", errUsage, err)
	}
	if *once && *ingestDir != "" {
		return fmt.Errorf("%w: --ingest needs watch mode", errUsage)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))

	if *leaseTTL < 300*time.Millisecond {
		return fmt.Errorf("%w: --lease-ttl must be at least 300ms", errUsage)
	}
	idx, err := indexOption(e, *index)
	if err != nil {
		return err
	}
	bucket, err := blobsOption(e, *blobs)
	if err != nil {
		return err
	}
	acc := overwatch.Cumulative
	if *resetMode {
		acc = overwatch.Reset
	}
	st, err := store.Open(*dataDir, store.Options{Subsystems: subsystems, Logger: log, NoSyncOutputs: !*syncOutputs, IngestAccumulation: acc, Index: idx, Bucket: bucket})
	if err != nil {
		return err
	}
	defer st.Close()

	opts := processing.Options{
		Logger: log, Workers: *workers, DefaultAccumulation: acc, NoPNG: *noPNG, PNG: *pngMode, ScanInterval: *scanInterval,
		Force: processing.Force{All: *forceAll, Runs: forceRuns, Subsystems: forceSubs}, LeaseTTL: *leaseTTL, Holder: *holder,
	}
	// Workers on one store share the work by leases (see processing.Options.Leases).
	if !*noShare {
		opts.Leases = st
	}
	if !*noTrending {
		m, err := trending.NewManager(st, trending.Config{}, nil, log)
		if err != nil {
			return fmt.Errorf("trending: %w", err)
		}
		if !*once {
			// Trend plots must not delay the next snapshot; they are all
			// written before the store closes.
			m.RenderInBackground()
			defer m.WaitOutputs()
		}
		opts.Observer = m
	}
	p := processing.New(st, opts)
	if *once {
		start := time.Now()
		err := p.Scan(ctx)
		log.Info("processing pass finished", "took", time.Since(start), "ok", err == nil)
		return err
	}
	if *ingestDir != "" {
		go func() {
			if err := st.RunIngest(ctx, *ingestDir, *ingestEvery); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("ingestion stopped", "err", err)
			}
		}()
	}
	log.Info("processing: watching for snapshots", "data", *dataDir, "shared", !*noShare, "holder", p.Holder())
	return p.Run(ctx)
}
