package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/quality/observe"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"github.com/overwatch-dqm/overwatch/webapp"
)

func init() {
	register(&command{
		name:    "web",
		summary: "serve the web app (run pages, JSROOT plots, time slices, trending, status, JSON API)",
		run:     runWeb,
	})
}

// jsrootCandidates are the places the web command looks for JSROOT when
// --jsroot is not given: next to the binary, in the repository the binary
// was built in, and in the working directory.
func jsrootCandidates() []string {
	var c []string
	if exe, err := os.Executable(); err == nil {
		d := filepath.Dir(exe)
		c = append(c, filepath.Join(d, "jsroot"), filepath.Join(d, "..", "tools", "jsroot"), filepath.Join(d, "..", "share", "overwatch", "jsroot"))
	}
	if wd, err := os.Getwd(); err == nil {
		c = append(c, filepath.Join(wd, "tools", "jsroot"), wd)
	}
	return c
}

func runWeb(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "web", "--data DIR [--listen ADDR] [flags]")
	var (
		dataDir     = fs.String("data", "", "data `directory` of the store (required)")
		index       = fs.String("index", "", indexUsage)
		blobs       = fs.String("blobs", "", blobsUsage)
		listen      = fs.String("listen", "127.0.0.1:8080", "`address` to listen on")
		jsrootDir   = fs.String("jsroot", "", "`directory` of the installed jsroot package (default: next to the binary, tools/jsroot of the repository, or the working directory)")
		tlsCert     = fs.String("tls-cert", "", "TLS certificate `file` (serve HTTPS; cookies get the Secure flag)")
		tlsKey      = fs.String("tls-key", "", "TLS private key `file`")
		secure      = fs.Bool("secure-cookies", false, "mark cookies Secure even without --tls-cert (behind a TLS proxy)")
		proxyHeader = fs.String("trusted-proxy-header", "", "log in the user named by this request `header` (e.g. X-Remote-User), only from --trusted-proxy addresses")
		proxies     = fs.String("trusted-proxy", "", "comma-separated `CIDRs` of proxies allowed to set --trusted-proxy-header")
		noSlices    = fs.Bool("no-slices", false, "disable time slices")
		resetMode   = fs.Bool("reset-mode", false, "snapshots that do not record whether they are cumulative or reset (older stores) hold only the data since the previous one (time slices sum them)")
		verbose     = fs.Bool("v", false, "debug logging")
		subsystems  []string
	)
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
	if (*tlsCert == "") != (*tlsKey == "") {
		return fmt.Errorf("%w: --tls-cert and --tls-key go together", errUsage)
	}
	trusted, err := config.ParsePrefixes(config.SplitList(*proxies))
	if err != nil {
		return fmt.Errorf("%w: --trusted-proxy: %v", errUsage, err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))

	idx, err := indexOption(e, *index)
	if err != nil {
		return err
	}
	bucket, err := blobsOption(e, *blobs)
	if err != nil {
		return err
	}
	st, err := store.Open(*dataDir, store.Options{Subsystems: subsystems, Logger: log, Index: idx, Bucket: bucket})
	if err != nil {
		return err
	}
	defer st.Close()

	users, err := webapp.OpenUsers(webapp.UsersPath(*dataDir))
	if err != nil {
		return err
	}
	cfg := webapp.Config{
		Store: st, Alarms: st, Documents: st, DataDir: *dataDir, Users: users, Logger: log, Subsystems: subsystems, Heartbeats: webHeartbeats(*dataDir, statusIndex(st, bucket), 0), Transfers: webTransfers(*dataDir),
		SecureCookies: *secure || *tlsCert != "", TrustedProxyHeader: *proxyHeader, TrustedProxies: trusted,
	}
	if *jsrootDir != "" {
		cfg.JSROOTDir = webapp.FindJSROOT(*jsrootDir)
		if cfg.JSROOTDir == "" {
			return fmt.Errorf("%w: --jsroot %s: no jsroot package there (expected modules/main.mjs; run `make setup-jsroot`)", errUsage, *jsrootDir)
		}
	} else {
		cfg.JSROOTDir = webapp.FindJSROOT(jsrootCandidates()...)
	}
	if !*noSlices {
		acc := overwatch.Cumulative
		if *resetMode {
			acc = overwatch.Reset
		}
		// The detectors' checks (this command reads no configuration), with
		// the slice's thresholds.
		checks, err := observe.New(observe.Options{References: observe.NewStoreReferences(st, bundle.NewOutputs(st), 0), BadChannels: st})
		if err != nil {
			return err
		}
		renderer := processing.New(st, processing.Options{Logger: log, DefaultAccumulation: acc, SliceChecks: checks})
		svc := timeslice.NewService(st, renderer, timeslice.ServiceOptions{Logger: log, DefaultAccumulation: acc, Leases: st, Checks: checks})
		defer svc.Close()
		cfg.Slices, cfg.Thresholds = svc, checks
	}
	app, err := webapp.New(cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	if !app.HasJSROOT() {
		log.Warn("JSROOT not found: pages show server-rendered PNGs; run `make setup-jsroot` or pass --jsroot DIR")
	}
	names, err := cfg.Users.Names()
	if err != nil {
		return err
	}
	if len(names) == 0 && *proxyHeader == "" {
		log.Warn("no users yet: create one with `overwatch users add --data " + *dataDir + " NAME`")
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	h := newSSOGuard(*proxyHeader, trusted, false, app, func(r *http.Request) {
		log.Warn("request with the SSO header from an untrusted address refused", "remote", r.RemoteAddr, "header", *proxyHeader)
	})
	srv, err := httpserve.New(ln, h, httpserve.Options{
		Name: "web", Limits: httpserve.WebDefaults(), Exempt: trusted, TLSCert: *tlsCert, TLSKey: *tlsKey,
		OnShutdown: func() { app.Close() }, // ends the event streams so that the shutdown does not wait for them
		Logger:     log,
	})
	if err != nil {
		return err
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	log.Info("web app listening", "url", scheme+"://"+ln.Addr().String(), "data", *dataDir, "jsroot", cfg.JSROOTDir, "slices", cfg.Slices != nil)
	if err := srv.Serve(ctx); err != nil {
		return err
	}
	return ctx.Err()
}
