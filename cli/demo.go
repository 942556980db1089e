package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/receiver/dqm"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/trending"
	"github.com/overwatch-dqm/overwatch/webapp"
)

func init() {
	register(&command{name: "demo", summary: "run a complete local deployment: HLT simulator, receivers, processing and web app", run: runDemo})
}

// The demo's drift: the HLT's track pT spectrum moves up during every run,
// so that its mean crosses the alarm threshold mid-run and falls back when
// the next run starts.
const (
	demoDriftSys   = "HLT"
	demoDriftHist  = "fHistTPCTrackPt"
	demoDriftTrend = "meanTPCTrackPt"
	demoDriftRate  = 0.004 // GeV/c per simulated second
	demoAlarmMax   = 1.5   // GeV/c
	demoRunBytes   = 1 << 30
	// demoTrendAge is how long the demo keeps trend points: at its
	// default speed trends grow ~1.5 MB a minute (journals and index).
	demoTrendAge = 3 * time.Hour
	demoUser     = "demo"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "demo", "[--data DIR] [--listen ADDR] [--speed N] [--trend-age D]")
	data := fs.String("data", "data", "data `directory` (created if needed)")
	listen := fs.String("listen", "127.0.0.1:8080", "web app `address`")
	speed := fs.Float64("speed", 20, "simulated seconds per wall-clock second (a 15-minute run lasts 45 s at 20)")
	dqmListen := fs.String("dqm-listen", "127.0.0.1:0", "DQM receiver `address` (port 0: any free port)")
	verbose := fs.Bool("v", false, "debug logging")
	trendAge := fs.Duration("trend-age", demoTrendAge, "how long trend points are kept (older ones are pruned every minute)")
	png := fs.String("png", "demand", "when histogram images are rendered: `demand` (by the web app, when first asked) or eager")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *speed <= 0 || *speed > 1000 {
		return fmt.Errorf("%w: --speed must be within (0, 1000]", errUsage)
	}
	if *trendAge < time.Minute {
		return fmt.Errorf("%w: --trend-age must be at least 1m", errUsage)
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return err
	}
	cfg := config.Default()
	cfg.Data = *data
	cfg.Web.Listen = *listen
	cfg.Metrics.OnWebPort = true // a local demo: /metrics next to the pages
	cfg.Processing.PNG = *png
	if *verbose {
		cfg.Log.Level = "debug"
	}
	log := newLogger(cfg.Log, e.stderr)

	firstRun, err := nextRunNumber(cfg)
	if err != nil {
		return err
	}
	listens, err := hltsim.ParseListen("tcp://127.0.0.1:0", len(cfg.Subsystems))
	if err != nil {
		return err
	}
	sim, err := hltsim.New(hltsim.Config{
		Listen: listens, Subsystems: cfg.Subsystems, Speed: *speed, Seed: uint64(time.Now().UnixNano()),
		FirstRun: firstRun, RunDuration: 15 * time.Minute, StaleDuration: time.Minute, GapDuration: time.Minute,
		Drifts:      []hltsim.Drift{{Subsystem: demoDriftSys, Hist: demoDriftHist, PerSecond: demoDriftRate}},
		HotChannels: []hltsim.HotChannel{{Subsystem: "EMC", Hist: "EMCTRQA_histFastORL0", ID: 1234, RatePerEvent: 0.5}},
		DeadRegions: []generator.DeadRegion{demoDeadRegion},
		Logger:      log.With("component", "simulator"),
	})
	if err != nil {
		return err
	}
	if err := sim.Listen(ctx); err != nil {
		return err
	}
	simDone := make(chan error, 1)
	go func() { simDone <- sim.Serve(ctx) }()

	// One receiver per merger, asking every simulated minute.
	sleep := time.Duration(float64(time.Minute) / *speed)
	for _, sys := range cfg.Subsystems {
		cfg.HLT.Receivers = append(cfg.HLT.Receivers, config.HLTReceiver{
			Subsystem: sys, In: "REQ>" + sim.Endpoints()[sys], Sleep: sleep, Timeout: 5 * time.Second,
		})
	}
	cfg.DQM.Enabled, cfg.DQM.Listen = true, *dqmListen
	cfg.Processing.Scan = 10 * time.Second
	cfg.Monitor.InitialDelay, cfg.Monitor.Interval = 30*time.Second, 30*time.Second
	cfg.Trending.Trends = demoTrendOverrides(cfg.Subsystems)
	cfg.Quality = demoQuality()
	// However long the demo runs, its runs fit in demoRunBytes: the oldest
	// go first, checked every minute.
	cfg.Store.Retention.MaxBytes, cfg.Store.PruneEvery = demoRunBytes, time.Minute
	// …and its trends cover the last demoTrendAge.
	cfg.Store.Retention.TrendMaxAge = *trendAge
	if err := ensureDemoToken(cfg.Data, log); err != nil {
		return err
	}

	d, err := newDeployment(cfg, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := demoReferences(ctx, d.st, cfg.Subsystems, firstRun, log); err != nil {
		return err
	}
	password, err := demoCredentials(cfg.Data)
	if err != nil {
		return err
	}
	log.Info("demo running", "simulator", sim.Endpoints(), "dqm", d.dqmLn.Addr().String(), "data", cfg.Data,
		"disk", fmt.Sprintf("runs kept within %d MB (oldest deleted first) and trend points of the last %v, within 2 GB with the index", demoRunBytes>>20, *trendAge),
		"alarm", fmt.Sprintf("%s/%s fires when the mean track pT passes %.1f GeV/c", demoDriftSys, demoDriftTrend, demoAlarmMax))
	fmt.Fprintf(e.stdout, "%s user=%s password=%s\n", d.webURL(), demoUser, password)
	err = d.run(ctx)
	if serr := <-simDone; err == nil && serr != nil && !errors.Is(serr, context.Canceled) {
		err = serr
	}
	return err
}

// nextRunNumber continues after the newest run already stored, so that a
// demo restarted on the same data directory starts new runs.
func nextRunNumber(cfg config.Config) (int, error) {
	st, err := store.Open(cfg.Data, store.Options{Subsystems: cfg.Subsystems, Logger: newLogger(config.Log{Level: "error", Format: "text"}, os.Stderr)})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	runs, err := st.Runs(context.Background(), overwatch.RunQuery{Limit: 1})
	if err != nil {
		return 0, err
	}
	if len(runs) == 0 || runs[0].Number < hltsim.DefaultFirstRun {
		return hltsim.DefaultFirstRun, nil
	}
	return runs[0].Number + 1, nil
}

// demoTrendOverrides keeps the declared trends but replaces their alarms:
// the original's demonstration thresholds (e.g. a maximum above 300) are
// exceeded by any long simulated run, which would bury the one alarm the
// demo shows. Only the drifting mean track pT keeps an alarm.
func demoTrendOverrides(subsystems []string) map[string]trending.TrendOverride {
	out := map[string]trending.TrendOverride{}
	for _, sys := range subsystems {
		td, ok := overwatch.DetectorFor(sys).(overwatch.TrendDeclarer)
		if !ok {
			continue
		}
		for _, t := range td.Trends() {
			out[sys+"/"+t.Name] = trending.TrendOverride{Alarms: []overwatch.AlarmSpec{}}
		}
	}
	out[demoDriftSys+"/"+demoDriftTrend] = trending.TrendOverride{Alarms: []overwatch.AlarmSpec{{
		Name: "ptDrift", Kind: "BetweenValues", Text: "WARNING",
		Params: map[string]float64{"minVal": 0, "maxVal": demoAlarmMax},
	}}}
	return out
}

// ensureDemoToken creates a DQM upload token named "demo" the first time,
// and logs it once, so that uploads can be tried with curl.
func ensureDemoToken(dataDir string, log interface{ Info(string, ...any) }) error {
	toks, err := dqm.OpenTokens(dqm.TokensPath(dataDir))
	if err != nil {
		return err
	}
	if toks.Len() > 0 {
		return nil
	}
	tok, err := toks.Add("demo", time.Now())
	if err != nil {
		return err
	}
	log.Info("created a DQM upload token (shown once)", "name", "demo", "token", tok)
	return nil
}

// demoCredentials (re)creates the demo user with a new random password.
func demoCredentials(dataDir string) (string, error) {
	users, err := webapp.OpenUsers(webapp.UsersPath(dataDir))
	if err != nil {
		return "", err
	}
	pw, err := webapp.GeneratePassword()
	if err != nil {
		return "", err
	}
	ok, err := exists(users, demoUser)
	if err != nil {
		return "", err
	}
	if ok {
		return pw, users.SetPassword(demoUser, pw)
	}
	return pw, users.Add(demoUser, pw, webapp.RoleShifter)
}
