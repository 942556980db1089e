package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/retention"
	"github.com/overwatch-dqm/overwatch/store"
)

func init() {
	register(&command{
		name:    "store prune",
		summary: "delete what a retention policy lets the store forget (old runs, thinned snapshots of finished runs)",
		run:     runStorePrune,
	})
}

func runStorePrune(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "store prune", "--data DIR [--runs N] [--max-age D] [--max-bytes N] [--thin D] [--trend-max-age D] [--dry-run]")
	sf := addStoreFlags(fs)
	path := fs.String("config", "", "configuration `file` whose store.retention is applied (flags override it)")
	runs := fs.Int("runs", 0, "keep the newest `N` runs")
	maxAge := fs.Duration("max-age", 0, "keep the runs whose newest snapshot is younger than `D`")
	maxBytes := fs.Int64("max-bytes", 0, "keep the newest runs fitting in `N` bytes")
	thin := fs.Duration("thin", 0, "finished runs: keep one snapshot per `D` (the first and the last always)")
	finished := fs.Duration("finished", 0, "a run is finished `D` after its newest snapshot (default 30m)")
	trendAge := fs.Duration("trend-max-age", 0, "forget trend points older than `D`")
	reset := fs.Bool("reset-mode", false, "snapshots are increments (reset mode): never thin")
	dry := fs.Bool("dry-run", false, "print what would be deleted, delete nothing")
	o, err := sf.parse(e, fs, args)
	if err != nil {
		return err
	}
	var p retention.Policy
	if *path != "" {
		cfg, err := loadConfig(e, *path)
		if err != nil {
			return err
		}
		p = cfg.Store.Retention
		*reset = *reset || cfg.Processing.Mode == "reset"
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["runs"] {
		p.Runs = *runs
	}
	if set["max-age"] {
		p.MaxAge = *maxAge
	}
	if set["max-bytes"] {
		p.MaxBytes = *maxBytes
	}
	if set["thin"] {
		p.Thin = *thin
	}
	if set["finished"] {
		p.Finished = *finished
	}
	if set["trend-max-age"] {
		p.TrendMaxAge = *trendAge
	}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if p.KeepsEverything() {
		fmt.Fprintln(e.stdout, "retention policy keeps everything: nothing to prune")
		return nil
	}
	s, err := store.Open(*sf.data, o)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := retention.Apply(ctx, s, p, time.Now(), retention.Options{Increments: *reset, DryRun: *dry})
	verb := "deleted"
	if *dry {
		verb = "would delete"
	}
	for _, r := range d.Runs {
		fmt.Fprintf(e.stdout, "%s run %d\n", verb, r)
	}
	fmt.Fprintf(e.stdout, "%s (%s): %d runs, %d snapshots of finished runs %s\n", *sf.data, p, len(d.Runs), len(d.Snapshots), verb)
	switch {
	case d.TrendsBefore.IsZero():
	case *dry:
		fmt.Fprintf(e.stdout, "would forget the trend points before %s\n", d.TrendsBefore.UTC().Format(time.RFC3339))
	default:
		fmt.Fprintf(e.stdout, "forgot %d trend points before %s\n", d.TrendPoints, d.TrendsBefore.UTC().Format(time.RFC3339))
	}
	return err
}

// pruneLoop applies the configured retention policy every period until ctx
// is done (serve and demo).
func pruneLoop(ctx context.Context, st retention.Store, c config.Store, increments bool, log *slog.Logger) error {
	every := c.PruneEvery
	if every <= 0 {
		every = config.DefaultPruneEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		d, err := retention.Apply(ctx, st, c.Retention, time.Now(), retention.Options{Increments: increments})
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("retention: pruning failed", "err", err)
		case !d.Empty():
			log.Info("retention: pruned", "runs", len(d.Runs), "snapshots", len(d.Snapshots), "trendPoints", d.TrendPoints, "policy", c.Retention.String())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
