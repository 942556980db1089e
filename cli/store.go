package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

func init() {
	register(&command{
		name:    "store rebuild",
		summary: "rebuild the store's index from the files of a data directory",
		run:     runStoreRebuild,
	})
	register(&command{
		name:    "store verify",
		summary: "check that the store's index equals a rebuild from the files",
		run:     runStoreVerify,
	})
	register(&command{
		name:    "store ingest",
		summary: "move receiver files from a drop folder into the store (once, or --watch)",
		run:     runStoreIngest,
	})
	register(&command{
		name:    "store compact",
		summary: "rewrite the store's trend journals without superseded points",
		run:     runStoreCompact,
	})
	register(&command{
		name:    "store ls",
		summary: "list the newest runs of the store with their subsystems",
		run:     runStoreLs,
	})
}

// storeFlags are the flags every store command shares.
type storeFlags struct {
	data       *string
	subsystems *string
	index      *string
	blobs      *string
	verbose    *bool
}

// open parses args into fs and opens the store they name.
func (f storeFlags) open(e *env, fs *flag.FlagSet, args []string) (*store.Store, error) {
	o, err := f.parse(e, fs, args)
	if err != nil {
		return nil, err
	}
	return store.Open(*f.data, o)
}

func addStoreFlags(fs interface {
	String(name, value, usage string) *string
	Bool(name string, value bool, usage string) *bool
}) storeFlags {
	return storeFlags{
		data:       fs.String("data", "", "data `directory` of the store (required)"),
		subsystems: fs.String("subsystems", "", "configured subsystems, comma-separated `LIST` (default EMC,TPC,HLT)"),
		index:      fs.String("index", "", indexUsage),
		blobs:      fs.String("blobs", "", blobsUsage),
		verbose:    fs.Bool("v", false, "debug logging"),
	}
}

// blobsUsage is the help of every command's --blobs flag.
var blobsUsage = "where snapshot files are kept: `dir` (default: the data directory), s3://host[:port]/bucket[/prefix/] (s3+http:// for plain HTTP; keys from $" +
	config.EnvS3Access + " and $" + config.EnvS3Secret + ") or root://host[:port]//path (XRootD, EOS)"

// blobsOption resolves a --blobs flag into store.Options.Bucket (nil: the
// data directory), the S3 keys coming from the environment.
func blobsOption(e *env, v string) (blob.Bucket, error) {
	b, err := storeBucket(config.Store{Blobs: v, S3Access: e.getenv(config.EnvS3Access), S3Secret: e.getenv(config.EnvS3Secret)})
	if err != nil {
		return nil, fmt.Errorf("%w: --blobs: %v", errUsage, err)
	}
	return b, nil
}

// storeBucket opens the bucket of a store section's blobs (nil for the
// data directory).
func storeBucket(c config.Store) (blob.Bucket, error) {
	b, err := config.ParseBlobs(c.Blobs)
	if err != nil {
		return nil, err
	}
	switch {
	case b.S3 != nil:
		if c.S3Access == "" || c.S3Secret == "" {
			return nil, fmt.Errorf("an S3 bucket needs its keys in $%s and $%s", config.EnvS3Access, config.EnvS3Secret)
		}
		sb, err := s3blob.New(s3blob.Config{Endpoint: b.S3.Endpoint, Bucket: b.S3.Bucket, Prefix: b.S3.Prefix, Region: b.S3.Region,
			Insecure: b.S3.Insecure, Access: c.S3Access, Secret: c.S3Secret})
		if err != nil {
			return nil, err
		}
		return sb, nil
	case b.XRootD != nil:
		xb, err := xrdblob.New(xrdblob.Config{Addr: b.XRootD.Addr, Root: b.XRootD.Root, User: b.XRootD.User})
		if err != nil {
			return nil, err
		}
		return xb, nil
	}
	return nil, nil
}

// indexUsage is the help of every command's --index flag.
var indexUsage = "index `engine`: sqlite (default: overwatch.db in the data directory) or postgres (DSN from $" + store.EnvPostgresDSN + ")"

// indexOption resolves an --index flag into store.Options.Index: "" or
// sqlite, or postgres with the DSN of the environment (never a flag: it
// holds a password).
func indexOption(e *env, v string) (string, error) {
	switch v {
	case "", "sqlite":
		return v, nil
	case "postgres":
		dsn := e.getenv(store.EnvPostgresDSN)
		if dsn == "" {
			return "", fmt.Errorf("%w: --index postgres: $%s is empty", errUsage, store.EnvPostgresDSN)
		}
		return dsn, nil
	}
	return "", fmt.Errorf("%w: --index %q: want sqlite or postgres (the DSN comes from $%s)", errUsage, v, store.EnvPostgresDSN)
}

func (f storeFlags) options(e *env) (store.Options, error) {
	if *f.data == "" {
		return store.Options{}, fmt.Errorf("%w: --data is required", errUsage)
	}
	level := slog.LevelInfo
	if *f.verbose {
		level = slog.LevelDebug
	}
	o := store.Options{Logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))}
	var err error
	if o.Index, err = indexOption(e, *f.index); err != nil {
		return o, err
	}
	if o.Bucket, err = blobsOption(e, *f.blobs); err != nil {
		return o, err
	}
	for _, s := range strings.Split(*f.subsystems, ",") {
		s = strings.ToUpper(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		if !overwatch.ValidSubsystem(s) {
			return o, fmt.Errorf("%w: subsystem %q is not 2–8 upper-case letters or digits", errUsage, s)
		}
		o.Subsystems = append(o.Subsystems, s)
	}
	return o, nil
}

// parse parses a store command's arguments (no positional ones) and
// returns the store options they give.
func (f storeFlags) parse(e *env, fs *flag.FlagSet, args []string) (store.Options, error) {
	if err := parseFlags(fs, args); err != nil {
		return store.Options{}, err
	}
	if err := noArgs(fs); err != nil {
		return store.Options{}, err
	}
	return f.options(e)
}

func noArgs(fs interface{ Args() []string }) error {
	if len(fs.Args()) > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	return nil
}

func runStoreRebuild(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "store rebuild", "--data DIR [--subsystems LIST]")
	sf := addStoreFlags(fs)
	o, err := sf.parse(e, fs, args)
	if err != nil {
		return err
	}
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if *sf.verbose {
		o.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	st, err := store.Rebuild(ctx, *sf.data, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuilt index of %s: %d runs, %d subsystem folders, %d snapshots, %d trend points, %d alarms, %d entries skipped\n",
		*sf.data, st.Runs, st.Subsystems, st.Snapshots, st.TrendPoints, st.Alarms, st.Skipped)
	if len(st.OutOfRange) > 0 {
		fmt.Fprintf(e.stdout, "NOT INDEXED: %d run folders whose run numbers are above %d (move them aside or rename them): %s\n",
			len(st.OutOfRange), overwatch.MaxRun, strings.Join(st.OutOfRange, ", "))
	}
	fmt.Fprintf(e.stdout, "took %v\n", st.Duration.Round(time.Millisecond))
	return nil
}

func runStoreVerify(ctx context.Context, e *env, args []string) error {
	return storeOp(ctx, e, "store verify", args, func(ctx context.Context, s *store.Store, data string) (string, error) {
		if err := s.Verify(ctx); err != nil {
			return "", err
		}
		n, err := s.CountRuns(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("index of %s matches its files (%d runs), checked in", data, n), nil
	})
}

// storeOp opens the store named by args, runs op on it and prints op's
// message followed by how long op took.
func storeOp(ctx context.Context, e *env, name string, args []string, op func(context.Context, *store.Store, string) (string, error)) error {
	fs := newFlagSet(e, name, "--data DIR")
	sf := addStoreFlags(fs)
	s, err := sf.open(e, fs, args)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	msg, err := op(ctx, s, *sf.data)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s %v\n", msg, time.Since(start).Round(time.Millisecond))
	return nil
}

func runStoreIngest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "store ingest", "--data DIR --drop DIR [--watch] [--every 2s]")
	sf := addStoreFlags(fs)
	drop := fs.String("drop", "", "drop `directory` the receivers write <SYS>histos_*.root files into (required)")
	watch := fs.Bool("watch", false, "keep ingesting until interrupted")
	every := fs.Duration("every", 2*time.Second, "period of the drop-folder scan with --watch")
	settle := fs.Duration("settle", time.Second, "leave files modified more recently than this (still being written)")
	accFlag := fs.String("accumulation", "cumulative", "recorded with the ingested snapshots: `cumulative` or reset")
	o, err := sf.parse(e, fs, args)
	if err != nil {
		return err
	}
	if o.IngestAccumulation, err = parseAccumulationFlag(*accFlag); err != nil {
		return err
	}
	if *drop == "" {
		return fmt.Errorf("%w: --drop is required", errUsage)
	}
	o.IngestSettle = *settle
	s, err := store.Open(*sf.data, o)
	if err != nil {
		return err
	}
	defer s.Close()
	if *watch {
		err := s.RunIngest(ctx, *drop, *every)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	}
	st, err := s.Ingest(ctx, *drop)
	fmt.Fprintf(e.stdout, "ingested %d, duplicates %d, quarantined %d, still being written %d, ignored %d\n",
		st.Ingested, st.Duplicates, st.Quarantined, st.Waiting, st.Ignored)
	return err
}

func runStoreLs(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "store ls", "--data DIR [--limit N] [--before RUN]")
	sf := addStoreFlags(fs)
	limit := fs.Int("limit", 20, "number of runs to list (0: all)")
	before := fs.Int("before", 0, "list runs numbered below `RUN`")
	s, err := sf.open(e, fs, args)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, err := s.Runs(ctx, overwatch.RunQuery{Limit: *limit, Before: *before})
	if err != nil {
		return err
	}
	for _, r := range runs {
		fmt.Fprintf(e.stdout, "Run%d\tmode %s\t%s – %s\n", r.Number, r.Mode,
			r.Start.In(store.Zurich).Format("2006-01-02 15:04:05"), r.End.In(store.Zurich).Format("15:04:05 MST"))
		for _, sub := range r.Subsystems {
			from := ""
			if sub.Borrows() {
				from = " (from " + sub.FilesFrom + ")"
			}
			fmt.Fprintf(e.stdout, "  %s%s\t%d snapshots\n", sub.Name, from, sub.Snapshots)
		}
	}
	return nil
}

func runStoreCompact(ctx context.Context, e *env, args []string) error {
	return storeOp(ctx, e, "store compact", args, func(ctx context.Context, s *store.Store, data string) (string, error) {
		if err := s.CompactTrends(ctx); err != nil {
			return "", err
		}
		return fmt.Sprintf("trend journals of %s compacted in", data), nil
	})
}
