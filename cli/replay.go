package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/replay"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/trending"
	"github.com/overwatch-dqm/overwatch/webapp"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "replay archived runs into a data directory in time order, at N× real time",
		run:     runReplay,
	})
}

func runReplay(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "replay", "--from DIR --to DIR [--speed N] [--max-gap D] [--runs LIST] [--subsystems LIST] [--process] [--listen ADDR]")
	var (
		from       = fs.String("from", "", "source `directory`: a data directory (Run<N>/<SYS>/<SYS>hists.<time>.root) or a folder of receiver files (<SYS>histos_<run>_<mode>_<time>.root) (required)")
		to         = fs.String("to", "", "target data `directory` (created if needed) (required)")
		speed      = fs.Float64("speed", 1, "archived seconds replayed per real second (0: as fast as possible)")
		maxGap     = fs.Duration("max-gap", 0, "shorten pauses between snapshots longer than this (archived time, e.g. 2m between runs; 0: keep them)")
		process    = fs.Bool("process", false, "also process every replayed snapshot (outputs, trends, alarms) as it is stored")
		noPNG      = fs.Bool("no-png", false, "with --process: do not render PNG images")
		listen     = fs.String("listen", "", "also serve the web app and /metrics over the target on this `address` while replaying, and keep serving after the replay until interrupted (a live demo of archived data)")
		configPath = fs.String("config", "", "configuration `file` for the target store's subsystems, processing mode and trending (default: built-in defaults)")
		verbose    = fs.Bool("v", false, "debug logging")
		runs       []int
		subsystems []string
	)
	fs.Var(intListFlag{&runs}, "runs", "replay only these runs (`LIST`, comma separated or repeated)")
	fs.Var(stringListFlag{&subsystems}, "subsystems", "replay only the files of these receiver subsystems (`LIST`)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return fmt.Errorf("%w: --from and --to are required", errUsage)
	}
	if *speed < 0 {
		return fmt.Errorf("%w: --speed must be 0 (as fast as possible) or positive", errUsage)
	}
	if *maxGap < 0 {
		return fmt.Errorf("%w: --max-gap must not be negative", errUsage)
	}
	if same, err := sameDir(*from, *to); err != nil {
		return err
	} else if same {
		return fmt.Errorf("%w: --from and --to must be different directories", errUsage)
	}
	cfg, err := loadConfig(e, *configPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*to, 0o755); err != nil {
		return err
	}

	bar := newProgressBar(e.stderr)
	level := slog.LevelWarn // the progress bar tells what happens
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(bar, &slog.HandlerOptions{Level: level}))

	var (
		st  *store.Store
		dep *deployment
	)
	if *listen != "" {
		// The web app must share this process's store: the index admits
		// one process at a time.
		dc := cfg
		dc.Data, dc.Web.Enabled, dc.Web.Listen = *to, true, *listen
		dc.Metrics.OnWebPort = true // the live demo serves /metrics over the web listener
		dc.HLT.Receivers, dc.DQM.Enabled, dc.Monitor.Enabled = nil, false, false
		dc.Processing.Enabled = false // the replay processes synchronously (--process)
		if dep, err = newDeployment(dc, log); err != nil {
			return err
		}
		defer dep.Close()
		st = dep.st
	} else {
		if st, err = store.Open(*to, store.Options{Subsystems: cfg.Subsystems, Logger: log}); err != nil {
			return err
		}
		defer st.Close()
	}

	rc := replay.Config{
		From: *from, Store: st, Speed: *speed, MaxGap: *maxGap, Runs: runs, Subsystems: subsystems,
		Logger: log, Progress: bar.update,
	}
	var trends *trending.Manager
	if *process {
		trends, err = trending.NewManager(st, cfg.Trending, nil, log)
		if err != nil {
			return fmt.Errorf("trending: %w", err)
		}
		var obs processing.Observer = trends
		if dep != nil {
			obs = dep.metrics.observe(trends)
		}
		p := processing.New(st, processing.Options{Logger: log, Observer: obs, DefaultAccumulation: cfg.Processing.Accumulation(), NoPNG: *noPNG})
		rc.Processor = processAndTrend{p: p, trends: trends}
	}
	r, err := replay.New(rc)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var served chan error
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if dep != nil {
		served = make(chan error, 1)
		go func() {
			serr := dep.run(runCtx)
			cancel() // a failing web server ends the replay too
			served <- serr
		}()
		fmt.Fprintln(e.stdout, dep.webURL())
		if noWebUsers(*to) {
			fmt.Fprintf(e.stderr, "replay: the target has no web users yet: add one with `overwatch users add --data %s NAME`\n", *to)
		}
	}
	start := time.Now()
	err = r.Run(runCtx)
	if trends != nil {
		trends.WaitOutputs()
	}
	bar.finish()
	s := r.Stats()
	fmt.Fprintf(e.stderr, "replay: %d of %d snapshots delivered in %s (%d already there, %d invalid skipped, %d derived files skipped",
		s.Delivered, s.Files, time.Since(start).Round(time.Millisecond), s.Duplicates, s.Invalid, s.Derived)
	if *process {
		fmt.Fprintf(e.stderr, ", %d processed, %d processing errors", s.Processed, s.ProcessErrors)
	}
	fmt.Fprintln(e.stderr, ")")
	if dep == nil {
		return err
	}
	if err == nil {
		fmt.Fprintf(e.stderr, "replay: finished; serving %s until interrupted\n", dep.webURL())
		<-runCtx.Done() // an interrupt, or the web server failed
	}
	cancel()
	if serr := <-served; serr != nil {
		return serr
	}
	return err
}

// noWebUsers reports whether the web app of a data directory has no user
// who could log in.
func noWebUsers(dataDir string) bool {
	users, err := webapp.OpenUsers(webapp.UsersPath(dataDir))
	if err != nil {
		return false // the web app reports the problem itself
	}
	names, err := users.Names()
	return err == nil && len(names) == 0
}

// processAndTrend processes one snapshot and ends the trending cycle, so
// that trend outputs follow the replay (they are rendered in the
// background and coalesced by the trending manager).
type processAndTrend struct {
	p      overwatch.Processor
	trends *trending.Manager
}

func (pt processAndTrend) Process(ctx context.Context, s overwatch.SnapshotInfo) error {
	err := pt.p.Process(ctx, s)
	pt.trends.EndCycle(ctx)
	return err
}

// sameDir reports whether two paths name the same existing directory (a
// missing target is never the source).
func sameDir(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, fmt.Errorf("--from: %w", err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, nil
	}
	return os.SameFile(fa, fb), nil
}

// progressBar shows a replay's progress on a terminal as one line redrawn
// in place; elsewhere (a file, a pipe, a CI log) it writes a plain line at
// every tenth of the work. It is also the log's writer, so that log lines
// never mix with the bar: the bar is cleared, the line written and the bar
// redrawn.
type progressBar struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	line     string // the bar as last drawn (tty)
	lastTen  int    // tenths reported (plain)
	drawn    time.Time
	finished bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w), lastTen: -1}
}

// isTerminal reports whether w is a character device (a terminal) and the
// terminal is not declared dumb.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	return fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// Write implements io.Writer for the log.
func (b *progressBar) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && b.line != "" {
		fmt.Fprint(b.w, "\r\033[K")
	}
	n, err := b.w.Write(p)
	if b.tty && b.line != "" {
		fmt.Fprint(b.w, b.line)
	}
	return n, err
}

const barWidth = 30

// render returns the bar's text for p.
func render(p replay.Progress) string {
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	full := int(frac * barWidth)
	return fmt.Sprintf("[%s%s] %3.0f%% %d/%d  Run%d %s %s",
		strings.Repeat("#", full), strings.Repeat(".", barWidth-full), frac*100, p.Done, p.Total,
		p.Current.Run, p.Current.Subsystem, p.Virtual.In(store.Zurich).Format("2006-01-02 15:04:05"))
}

func (b *progressBar) update(p replay.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty {
		// At most 20 redraws per second, and always the last one.
		if now := time.Now(); p.Done == p.Total || now.Sub(b.drawn) >= 50*time.Millisecond {
			b.line = render(p)
			b.drawn = now
			fmt.Fprint(b.w, "\r\033[K"+b.line)
		}
		return
	}
	if ten := p.Done * 10 / max(p.Total, 1); ten > b.lastTen {
		b.lastTen = ten
		fmt.Fprintln(b.w, "replay: "+render(p))
	}
}

// finish ends the bar's line.
func (b *progressBar) finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && b.line != "" && !b.finished {
		fmt.Fprintln(b.w)
	}
	b.finished = true
	b.line = ""
}
