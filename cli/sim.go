package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch/receiver/hltsim"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

func init() {
	register(&command{
		name:    "sim",
		summary: "simulate HLT mergers (one ZeroMQ endpoint per subsystem) serving realistic histograms",
		run:     runSim,
	})
}

// simListFlag collects a repeatable flag's values.
type simListFlag []string

func (l *simListFlag) String() string     { return strings.Join(*l, " ") }
func (l *simListFlag) Set(s string) error { *l = append(*l, s); return nil }

func runSim(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "sim", "[--listen tcp://127.0.0.1:PORT] [--subsystems EMC,TPC,HLT] [--speed N] [flags]")
	cfg := hltsim.Config{}
	listen := fs.String("listen", fmt.Sprintf("tcp://127.0.0.1:%d", hltsim.DefaultBasePort),
		"base `endpoint` (the i-th subsystem gets port+i; port 0: free ports) or one endpoint per subsystem, comma-separated")
	subs := fs.String("subsystems", strings.Join(hltsim.DefaultSubsystems, ","), "comma-separated `subsystems`, one merger each")
	fs.Float64Var(&cfg.Speed, "speed", 1, "simulated seconds per wall-clock second")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "random seed (equal seeds give equal histograms)")
	fs.Float64Var(&cfg.EventsPerSecond, "rate", 100, "simulated events per second")
	fs.IntVar(&cfg.EMCHistograms, "emc-histograms", 0, "grow the EMC set to this many histograms (e.g. 500)")
	fs.IntVar(&cfg.FirstRun, "first-run", hltsim.DefaultFirstRun, "number of the first run")
	fs.DurationVar(&cfg.RunDuration, "run-duration", hltsim.DefaultRunDuration, "simulated length of a run")
	fs.DurationVar(&cfg.StaleDuration, "stale", hltsim.DefaultStaleDuration, "simulated time the last content is still served after a run")
	fs.DurationVar(&cfg.GapDuration, "gap", hltsim.DefaultGapDuration, "simulated time between runs (run 0, no objects)")
	fs.StringVar(&cfg.Mode, "mode", "B", "HLT mode in the INFO string")
	fs.StringVar(&cfg.BeamType, "beam", "p-p", "beam type in the INFO string")
	fs.BoolVar(&cfg.BigEndianLength, "big-endian", false, "write the TMessage length word big-endian (stock ROOT) instead of little-endian (AliRoot)")
	var hot, drift, dead simListFlag
	fs.Var(&hot, "hot", "inject a hot channel `SYS:HIST:ID:RATE` (hits per event); repeatable")
	fs.Var(&drift, "drift", "drift a histogram `SYS:HIST:PERSECOND` (x units per second); repeatable")
	fs.Var(&dead, "dead", "dead period `FROM-TO` of run time, e.g. 10m-12m; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	for _, s := range strings.Split(*subs, ",") {
		if s = strings.TrimSpace(s); s != "" {
			cfg.Subsystems = append(cfg.Subsystems, s)
		}
	}
	eps, err := hltsim.ParseListen(*listen, len(cfg.Subsystems))
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg.Listen = eps
	if cfg.StaleDuration == 0 {
		cfg.StaleDuration = -1 // an explicit 0 means no stale period
	}
	for _, h := range hot {
		f := strings.Split(h, ":")
		if len(f) != 4 {
			return fmt.Errorf("%w: --hot %q: want SYS:HIST:ID:RATE", errUsage, h)
		}
		id, err1 := strconv.Atoi(f[2])
		rate, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("%w: --hot %q: ID must be an integer and RATE a number", errUsage, h)
		}
		cfg.HotChannels = append(cfg.HotChannels, hltsim.HotChannel{Subsystem: f[0], Hist: f[1], ID: id, RatePerEvent: rate})
	}
	for _, d := range drift {
		i := strings.LastIndex(d, ":")
		j := strings.Index(d, ":")
		if i <= j {
			return fmt.Errorf("%w: --drift %q: want SYS:HIST:PERSECOND", errUsage, d)
		}
		v, err := strconv.ParseFloat(d[i+1:], 64)
		if err != nil {
			return fmt.Errorf("%w: --drift %q: %v", errUsage, d, err)
		}
		cfg.Drifts = append(cfg.Drifts, hltsim.Drift{Subsystem: d[:j], Hist: d[j+1 : i], PerSecond: v})
	}
	for _, d := range dead {
		from, to, ok := strings.Cut(d, "-")
		a, err1 := time.ParseDuration(from)
		b, err2 := time.ParseDuration(to)
		if !ok || err1 != nil || err2 != nil || b <= a {
			return fmt.Errorf("%w: --dead %q: want FROM-TO durations, FROM < TO", errUsage, d)
		}
		cfg.DeadPeriods = append(cfg.DeadPeriods, generator.DeadPeriod{From: a, To: b})
	}
	cfg.Logger = hltLogger(e)
	srv, err := hltsim.New(cfg)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := srv.Listen(ctx); err != nil {
		return err
	}
	bound := srv.Endpoints()
	for _, sys := range cfg.Subsystems {
		fmt.Fprintf(e.stdout, "%s merger: REQ>%s\n", sys, bound[sys])
	}
	return srv.Serve(ctx)
}
