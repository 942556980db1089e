package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"github.com/overwatch-dqm/overwatch/receiver/dqm"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/trending"
)

func init() {
	register(&command{name: "receive dqm", summary: "receive ROOT files uploaded by the DQM system over REST", run: runReceiveDQM})
	register(&command{name: "tokens add", summary: "create an upload token for a DQM client (printed once, stored hashed)", run: runTokensAdd})
	register(&command{name: "tokens rm", summary: "remove the upload token of a DQM client", run: runTokensRm})
	register(&command{name: "tokens ls", summary: "list the DQM clients that have an upload token", run: runTokensLs})
	register(&command{name: "monitor", summary: "watch the receivers' heartbeats and alert when one stops", run: runMonitor})
}

func runReceiveDQM(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "receive dqm", "--data DIR [--listen ADDR] [--max-size SIZE]")
	sf := addStoreFlags(fs)
	listen := fs.String("listen", "127.0.0.1:8081", "`address` to listen on")
	maxSize := fs.String("max-size", "256MiB", "largest accepted upload (`SIZE`, e.g. 256MiB)")
	accFlag := fs.String("accumulation", "cumulative", "recorded with uploads without an accumulation header: `cumulative` or reset")
	opts, err := sf.parse(e, fs, args)
	if err != nil {
		return err
	}
	acc, err := parseAccumulationFlag(*accFlag)
	if err != nil {
		return err
	}
	limit, err := config.ParseSize(*maxSize)
	if err != nil || limit <= 0 {
		return fmt.Errorf("%w: --max-size: %v", errUsage, err)
	}
	st, err := store.Open(*sf.data, opts)
	if err != nil {
		return err
	}
	defer st.Close()
	dc := config.Default().DQM
	dc.MaxSize = config.Size(limit)
	srv, err := newDQMServer(st, *sf.data, dc, acc, opts.Logger)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	opts.Logger.Info("DQM receiver listening", "addr", ln.Addr().String(), "data", *sf.data)
	return serveHTTP(ctx, "dqm", ln, srv, httpserve.DQMDefaults(), opts.Logger)
}

// newDQMServer opens the tokens of a data directory and builds the DQM
// receiver.
func newDQMServer(st *store.Store, dataDir string, c config.DQM, acc overwatch.Accumulation, log *slog.Logger) (*dqm.Server, error) {
	toks, err := dqm.OpenTokens(dqm.TokensPath(dataDir))
	if err != nil {
		return nil, err
	}
	return dqm.New(dqm.Config{Store: st, DataDir: dataDir, Tokens: toks, MaxSize: int64(c.MaxSize),
		MaxDecodedBytes: int64(c.MaxDecoded), MaxCells: c.MaxCells, MaxConcurrent: c.MaxConcurrent,
		QuarantineMaxBytes: int64(c.QuarantineMaxSize), QuarantineMaxAge: c.QuarantineMaxAge, Accumulation: acc, Logger: log})
}

// serveHTTP serves h on ln with the limits of a hardened server
// (internal/httpserve) until ctx is done, then shuts down gracefully.
func serveHTTP(ctx context.Context, name string, ln net.Listener, h http.Handler, lim httpserve.Limits, log *slog.Logger) error {
	srv, err := httpserve.New(ln, h, httpserve.Options{Name: name, Limits: lim, Logger: log})
	if err != nil {
		return err
	}
	return srv.Serve(ctx)
}

func tokensArgs(e *env, name string, args []string, wantName bool) (*dqm.Tokens, string, error) {
	usage := "--data DIR"
	if wantName {
		usage += " NAME"
	}
	fs := newFlagSet(e, name, usage)
	data := fs.String("data", "", "data `directory` (required)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, "", err
	}
	if *data == "" {
		return nil, "", fmt.Errorf("%w: --data is required", errUsage)
	}
	if wantName != (len(rest) == 1) || len(rest) > 1 {
		return nil, "", fmt.Errorf("%w: usage: overwatch %s %s", errUsage, name, usage)
	}
	toks, err := dqm.OpenTokens(dqm.TokensPath(*data))
	if err != nil {
		return nil, "", err
	}
	n := ""
	if wantName {
		n = rest[0]
	}
	return toks, n, nil
}

func runTokensAdd(_ context.Context, e *env, args []string) error {
	toks, name, err := tokensArgs(e, "tokens add", args, true)
	if err != nil {
		return err
	}
	tok, err := toks.Add(name, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Upload token for %q (shown once; only its hash is stored). Send it as \"Authorization: Bearer TOKEN\":\n%s\n", name, tok)
	return nil
}

func runTokensRm(_ context.Context, e *env, args []string) error {
	toks, name, err := tokensArgs(e, "tokens rm", args, true)
	if err != nil {
		return err
	}
	if err := toks.Remove(name); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "removed the token of %q\n", name)
	return nil
}

func runTokensLs(_ context.Context, e *env, args []string) error {
	toks, _, err := tokensArgs(e, "tokens ls", args, false)
	if err != nil {
		return err
	}
	for _, t := range toks.List() {
		fmt.Fprintf(e.stdout, "%s\tcreated %s\n", t.Name, t.Created.Format(time.RFC3339))
	}
	return nil
}

func runMonitor(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "monitor", "--data DIR [--subsystems LIST] [--interval D] [--initial-delay D] [--config FILE] [--index postgres --blobs URL]")
	data := fs.String("data", "", "data `directory` holding the heartbeat files (required)")
	subs := fs.String("subsystems", "EMC,TPC,HLT", "receivers to watch, comma-separated `LIST`")
	interval := fs.Duration("interval", time.Minute, "time between checks")
	delay := fs.Duration("initial-delay", 5*time.Minute, "wait before the first check (receivers need time to start)")
	cfgPath := fs.String("config", "", "configuration `file` whose notifications section is used for alerts (default: alerts are logged)")
	noData := fs.Duration("no-data-after", monitor.DefaultNoDataAfter, "alert when a live receiver stores no new data this long while a run is ongoing")
	index := fs.String("index", "", indexUsage)
	blobs := fs.String("blobs", "", blobsUsage+" (then the receivers' heartbeats are read from the index: each machine has a data directory of its own)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *data == "" {
		return fmt.Errorf("%w: --data is required", errUsage)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	m := &monitor.Monitor{DataDir: *data, Subsystems: config.SplitList(strings.ToUpper(*subs)), Log: log, NoDataAfter: *noData}
	bucket, err := blobsOption(e, *blobs)
	if err != nil {
		return err
	}
	if bucket != nil {
		idx, err := indexOption(e, *index)
		if err != nil {
			return err
		}
		st, err := store.Open(*data, store.Options{Logger: log, Index: idx, Bucket: bucket})
		if err != nil {
			return err
		}
		defer st.Close()
		m.Read = monitorRead(st, log)
	}
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath, e.getenv)
		if err != nil {
			return err
		}
		if n := trending.NewNotifiers(c.Notifications); len(n) > 0 {
			d := trending.NewDispatcher(n, c.Notifications, log)
			d.SetLinks(notificationLinks(c))
			defer d.Close()
			m.Alerter = notifyingAlerter(d, c.Trending.Recipients, log)
		}
	}
	return m.Run(ctx, *delay, *interval)
}

// notifyingAlerter sends monitor alerts through the alarm notification
// dispatcher (and logs them).
func notifyingAlerter(d *trending.Dispatcher, recipients []string, log *slog.Logger) monitor.Alerter {
	logA := monitor.LogAlerter{Log: log}
	return monitor.AlerterFunc(func(ctx context.Context, a monitor.Alert) {
		logA.Alert(ctx, a)
		state := overwatch.AlarmFiring
		if a.State == monitor.StateRevived || a.State == monitor.StateDataResumed {
			state = overwatch.AlarmResolved
		}
		n := trending.Notification{
			AlarmID: "receiver/" + a.Subsystem, Subsystem: a.Subsystem, Trend: "receiver heartbeat",
			Hist: heartbeat.Name(a.Subsystem), State: state, Message: a.Message,
			Time: a.Time, Recipients: recipients,
		}
		if a.State == monitor.StateNoData || a.State == monitor.StateDataResumed {
			// About the run's data: the notification links to its page.
			n.AlarmID, n.Trend, n.Hist, n.Run = "receiver/"+a.Subsystem+"/nodata", "receiver data", "", a.Run
		}
		d.Enqueue([]trending.Notification{n})
	})
}

// parseAccumulationFlag reads an --accumulation flag: cumulative or reset.
func parseAccumulationFlag(v string) (overwatch.Accumulation, error) {
	a, err := overwatch.ParseAccumulation(v)
	if err != nil || a == overwatch.AccumulationUnset {
		return "", fmt.Errorf("%w: --accumulation: want cumulative or reset, got %q", errUsage, v)
	}
	return a, nil
}
