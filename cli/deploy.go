package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/receiver"
	"github.com/overwatch-dqm/overwatch/receiver/dqm"
	"github.com/overwatch-dqm/overwatch/receiver/hlt"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"github.com/overwatch-dqm/overwatch/trending"
	"github.com/overwatch-dqm/overwatch/webapp"

	_ "github.com/overwatch-dqm/overwatch/detectors/all" // the built-in detector plug-ins
)

// deployment is every component enabled by a configuration, over one
// store, in one process: what `overwatch serve` and `overwatch demo` run.
type deployment struct {
	cfg config.Config
	log *slog.Logger

	st      *store.Store
	disp    *trending.Dispatcher
	trends  *trending.Manager
	proc    *processing.Processor
	handoff *processing.Handoff // nil without processing
	slices  *timeslice.Service
	app     *webapp.App
	hlt     []*hlt.Receiver
	// receivers are every configured source of snapshots (HLT, DQM, the
	// drop folder, registered ones), run through overwatch.Receiver.
	receivers     []overwatch.Receiver
	receiverNames []string
	dqm           *dqm.Server
	mon           *monitor.Monitor
	xfer          *transferJob
	metrics       *metrics
	webLn         net.Listener
	dqmLn         net.Listener
	metricLn      net.Listener
	// The hardened servers of the listeners (internal/httpserve).
	webSrv, dqmSrv, metricSrv *httpserve.Server
}

// newLogger returns the logger a configuration asks for, writing to w.
func newLogger(c config.Log, w interface{ Write([]byte) (int, error) }) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newDeployment validates cfg, opens the store and builds the enabled
// components, binding their listeners (so that address errors surface
// before anything runs). Close releases everything.
func newDeployment(cfg config.Config, log *slog.Logger) (_ *deployment, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &deployment{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	// Outputs are not fsynced: they stay atomic, and a power loss can only
	// lose the newest ones, which processing recomputes from the (synced)
	// snapshots; syncing 500 outputs per snapshot would cost ~0.5 s.
	bucket, err := storeBucket(cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("store.blobs: %w", err)
	}
	d.st, err = store.Open(cfg.Data, store.Options{Subsystems: cfg.Subsystems, Logger: log.With("component", "store"), NoSyncOutputs: true, Index: cfg.Store.IndexOption(),
		IngestAccumulation: cfg.Processing.Accumulation(), Bucket: bucket})
	if err != nil {
		return nil, err
	}
	// With blobs on a bucket every machine has a data directory of its
	// own: the receivers' status goes through the index too.
	statusIdx := statusIndex(d.st, bucket)
	reg := prometheus.NewRegistry()
	d.metrics = newMetrics(reg)

	if n := trending.NewNotifiers(cfg.Notifications); len(n) > 0 {
		d.disp = trending.NewDispatcher(n, cfg.Notifications, log.With("component", "notifications"))
		d.disp.SetLinks(notificationLinks(cfg))
		d.metrics.watchDispatcher(d.disp)
	}
	acc := cfg.Processing.Accumulation() // recorded by the receivers; the default for snapshots without one
	// The checks of time slices: the configured ones, with the slice's
	// thresholds, references and confirmed bad channels, recording nothing.
	sliceChecks, err := observe.New(observe.Options{Configs: cfg.Quality,
		References: observe.NewStoreReferences(d.st, bundle.NewOutputs(d.st), 0), BadChannels: d.st})
	if err != nil {
		return nil, err
	}
	if cfg.Processing.Enabled {
		d.trends, err = trending.NewManager(d.st, cfg.Trending, d.disp, log.With("component", "trending"))
		if err != nil {
			return nil, err
		}
		d.trends.RenderInBackground()
		// Data-quality checks run on every processed snapshot, in front of
		// trending, whose alarm lifecycle they use.
		// The comparing checks get their reference from the declared
		// reference run's processed outputs; each snapshot's quality and
		// the run's flags are stored as documents.
		checks, err := observe.New(observe.Options{Configs: cfg.Quality, Next: d.trends, Alarms: d.trends,
			References: observe.NewStoreReferences(d.st, bundle.NewOutputs(d.st), 0), Flags: d.st, BadChannels: d.st, Trends: d.st})
		if err != nil {
			return nil, err
		}
		// Receivers hand their decoded snapshots to processing: decoded once.
		d.handoff = processing.NewHandoff(2 * len(cfg.HLT.Receivers))
		d.proc = processing.New(d.st, processing.Options{
			Logger: log, Observer: d.metrics.observe(checks), DefaultAccumulation: acc, ScanInterval: cfg.Processing.Scan,
			PNG: cfg.Processing.PNG, Handoff: d.handoff, SliceChecks: sliceChecks,
		})
		d.metrics.watchProcessor(d.proc)
	}
	for _, rc := range cfg.HLT.Receivers {
		rlog := log.With("component", "hlt", "subsystem", rc.Subsystem)
		var status func(time.Time, receiver.DataStatus)
		if statusIdx != nil {
			status = statusToIndex(statusIdx, rc.Subsystem, rlog)
		}
		r := hlt.New(hlt.Config{
			Endpoint: rc.In, Subsystem: rc.Subsystem, DataDir: cfg.Data, Select: rc.Select,
			ResetOnRequest: rc.Reset, Accumulation: acc, Sleep: rc.Sleep, Timeout: rc.Timeout,
			Logger: rlog, Status: status,
		}, hlt.StoreSink{Store: d.st, Stored: d.handoff.Offer})
		d.hlt = append(d.hlt, r)
		d.addReceiver("hlt receiver "+rc.Subsystem, r)
		d.metrics.watchHLT(rc.Subsystem, r)
	}
	if cfg.DQM.Enabled {
		d.dqm, err = newDQMServer(d.st, cfg.Data, cfg.DQM, acc, log)
		if err != nil {
			return nil, err
		}
		d.metrics.watchDQM(d.dqm)
		if d.dqmLn, err = net.Listen("tcp", cfg.DQM.Listen); err != nil {
			return nil, fmt.Errorf("dqm.listen: %w", err)
		}
	}
	if len(cfg.Transfer.Destinations) > 0 { // secrets: from the process environment
		if d.xfer, err = newTransferJob(cfg, d.st, os.Getenv, log); err != nil {
			return nil, err
		}
		d.metrics.watchTransfer(d.xfer.tr)
	}
	if dir := cfg.Processing.Ingest; dir != "" {
		d.addReceiver("ingest", &store.Ingester{Store: d.st, Dir: dir, Every: 2 * time.Second})
	}
	names, regs, err := registeredReceivers(ReceiverDeps{Store: d.st, DataDir: cfg.Data, Subsystems: cfg.Subsystems, Getenv: os.Getenv}, log)
	if err != nil {
		return nil, err
	}
	for i, r := range regs {
		d.addReceiver(names[i], r)
	}
	if cfg.Monitor.Enabled && len(cfg.HLT.Receivers) > 0 {
		subs := make([]string, 0, len(cfg.HLT.Receivers))
		for _, r := range cfg.HLT.Receivers {
			subs = append(subs, r.Subsystem)
		}
		d.mon = &monitor.Monitor{DataDir: cfg.Data, Subsystems: subs, Log: log.With("component", "monitor"), NoDataAfter: cfg.Monitor.NoDataAfter}
		if statusIdx != nil {
			d.mon.Read = monitorRead(statusIdx, d.mon.Log)
		}
		if d.disp != nil {
			d.mon.Alerter = notifyingAlerter(d.disp, cfg.Trending.Recipients, log.With("component", "monitor"))
		}
	}
	if cfg.Web.Enabled {
		users, err := webapp.OpenUsers(webapp.UsersPath(cfg.Data))
		if err != nil {
			return nil, err
		}
		wc := webapp.Config{
			Store: d.st, Alarms: d.st, Documents: d.st, Layouts: cfg.Layouts, DataDir: cfg.Data, Users: users, Logger: log.With("component", "web"),
			Subsystems: cfg.Subsystems, Heartbeats: webHeartbeats(cfg.Data, statusIdx, cfg.Monitor.NoDataAfter), Transfers: webTransfers(cfg.Data), SecureCookies: cfg.Web.TLSCert != "", TrustedProxyHeader: cfg.Web.TrustedProxyHeader,
		}
		wc.TrustedProxies, _ = config.ParsePrefixes(cfg.Web.TrustedProxies) // validated
		if cfg.Web.JSROOT != "" {
			wc.JSROOTDir = webapp.FindJSROOT(cfg.Web.JSROOT)
		} else {
			wc.JSROOTDir = webapp.FindJSROOT(jsrootCandidates()...)
		}
		renderer := d.proc
		if renderer == nil {
			renderer = processing.New(d.st, processing.Options{Logger: log, DefaultAccumulation: acc, SliceChecks: sliceChecks})
		}
		d.slices = timeslice.NewService(d.st, renderer, timeslice.ServiceOptions{Logger: log, DefaultAccumulation: acc, Leases: d.st, Checks: sliceChecks})
		wc.Slices, wc.Thresholds = d.slices, sliceChecks
		if d.app, err = webapp.New(wc); err != nil {
			return nil, err
		}
		if !d.app.HasJSROOT() {
			log.Warn("JSROOT not found: pages show server-rendered PNGs; run `make setup-jsroot` or set web.jsroot")
		}
		if d.webLn, err = net.Listen("tcp", cfg.Web.Listen); err != nil {
			return nil, fmt.Errorf("web.listen: %w", err)
		}
	}
	if cfg.Metrics.Listen != "" {
		if d.metricLn, err = net.Listen("tcp", cfg.Metrics.Listen); err != nil {
			return nil, fmt.Errorf("metrics.listen: %w", err)
		}
	}
	if err := d.buildServers(); err != nil {
		return nil, err
	}
	return d, nil
}

// buildServers puts every listener behind a hardened server with the
// limits of its configuration section, and exports the servers' counters.
func (d *deployment) buildServers() (err error) {
	log := d.log.With("component", "http")
	if d.dqm != nil {
		d.dqmSrv, err = httpserve.New(d.dqmLn, d.metrics.instrument("dqm", d.dqm), httpserve.Options{
			Name: "dqm", Limits: d.cfg.DQM.Limits, Logger: log})
		if err != nil {
			return fmt.Errorf("dqm.limits: %w", err)
		}
		d.metrics.watchServer("dqm", d.dqmSrv)
		d.addReceiver("dqm receiver", &dqm.Receiver{HTTP: d.dqmSrv})
	}
	if d.app != nil {
		mux := http.NewServeMux()
		if d.cfg.Metrics.OnWebPort {
			mux.Handle("/metrics", d.metrics.handler())
		}
		trusted, _ := config.ParsePrefixes(d.cfg.Web.TrustedProxies) // validated
		mux.Handle("/", d.metrics.instrument("web", d.app))
		h := newSSOGuard(d.cfg.Web.TrustedProxyHeader, trusted, d.cfg.Web.DisablePasswordLogin, mux, func(r *http.Request) {
			d.log.Warn("request with the SSO header from an untrusted address refused", "component", "web", "remote", r.RemoteAddr, "header", d.cfg.Web.TrustedProxyHeader)
		})
		d.webSrv, err = httpserve.New(d.webLn, h, httpserve.Options{
			Name: "web", Limits: d.cfg.Web.Limits, Exempt: trusted,
			TLSCert: d.cfg.Web.TLSCert, TLSKey: d.cfg.Web.TLSKey,
			OnShutdown: func() { d.app.Close() }, // ends the event streams so that the shutdown does not wait for them
			Logger:     log,
		})
		if err != nil {
			return fmt.Errorf("web.limits: %w", err)
		}
		d.metrics.watchServer("web", d.webSrv)
	}
	if d.metricLn != nil {
		d.metricSrv, err = httpserve.New(d.metricLn, d.metrics.handler(), httpserve.Options{
			Name: "metrics", Limits: d.cfg.Metrics.Limits, Logger: log})
		if err != nil {
			return fmt.Errorf("metrics.limits: %w", err)
		}
		d.metrics.watchServer("metrics", d.metricSrv)
	}
	return nil
}

// addReceiver adds a receiver that run starts.
func (d *deployment) addReceiver(name string, r overwatch.Receiver) {
	d.receivers = append(d.receivers, r)
	d.receiverNames = append(d.receiverNames, name)
}

// webURL returns the web app's URL (empty when disabled).
func (d *deployment) webURL() string {
	if d.webLn == nil {
		return ""
	}
	scheme := "http"
	if d.cfg.Web.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + d.webLn.Addr().String()
}

// run runs every component until ctx is done or one fails; it returns the
// first failure.
func (d *deployment) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	start := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					cancel(fmt.Errorf("%s panicked: %v", name, r))
				}
			}()
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
				d.log.Error("component failed", "component", name, "err", err)
				cancel(fmt.Errorf("%s: %w", name, err))
			}
		}()
	}
	if d.proc != nil {
		start("processing", d.proc.Run)
	}
	for i, r := range d.receivers {
		start(d.receiverNames[i], r.Run)
	}
	if dir := d.cfg.Processing.Ingest; dir != "" {
		start("heartbeat forwarding", func(ctx context.Context) error { return forwardHeartbeats(ctx, dir, d.cfg.Data, 2*time.Second, d.log) })
		d.log.Info("ingesting a drop folder", "dir", dir)
	}
	if !d.cfg.Store.Retention.KeepsEverything() {
		start("retention", func(ctx context.Context) error {
			return pruneLoop(ctx, d.st, d.cfg.Store, d.cfg.Processing.Mode == "reset", d.log.With("component", "retention"))
		})
		d.log.Info("retention policy applied periodically", "policy", d.cfg.Store.Retention.String())
	}
	if d.dqmSrv != nil {
		d.log.Info("DQM receiver listening", "addr", d.dqmLn.Addr().String())
	}
	if d.xfer != nil {
		start("transfer", d.xfer.run)
	}
	if d.mon != nil {
		start("monitor", func(ctx context.Context) error {
			return d.mon.Run(ctx, d.cfg.Monitor.InitialDelay, d.cfg.Monitor.Interval)
		})
	}
	if d.webSrv != nil {
		start("web", d.webSrv.Serve)
		d.log.Info("web app listening", "url", d.webURL())
	}
	if d.metricSrv != nil {
		start("metrics", d.metricSrv.Serve)
		d.log.Info("metrics listening", "url", "http://"+d.metricLn.Addr().String()+"/metrics")
	}
	<-ctx.Done()
	if d.app != nil {
		d.app.Close() // ends the event streams so that the server can shut down
	}
	wg.Wait()
	if d.trends != nil {
		d.trends.WaitOutputs()
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// forwardHeartbeats copies the heartbeats and data status files that split
// receivers write into the drop folder to the data directory, where the
// monitor and the status page read them, every interval until ctx is done.
func forwardHeartbeats(ctx context.Context, drop, data string, every time.Duration, log *slog.Logger) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := receiver.ForwardHeartbeats(drop, data); err != nil {
			log.Warn("forwarding heartbeats from the drop folder", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Close releases the store, listeners and background services.
func (d *deployment) Close() {
	for _, ln := range []net.Listener{d.webLn, d.dqmLn, d.metricLn} {
		if ln != nil {
			ln.Close()
		}
	}
	if d.app != nil {
		d.app.Close()
	}
	if d.slices != nil {
		d.slices.Close()
	}
	if d.disp != nil {
		d.disp.Close()
	}
	if d.xfer != nil {
		d.xfer.tr.Close()
	}
	if d.st != nil {
		d.st.Close()
	}
}
