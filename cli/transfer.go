package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/overwatch-dqm/overwatch/internal/config"
	"github.com/overwatch-dqm/overwatch/internal/fsutil"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"github.com/overwatch-dqm/overwatch/receiver/transfer"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

func init() {
	register(&command{name: "transfer", summary: "copy every received snapshot to other sites (EOS/XRootD, S3, another Overwatch)", run: runTransfer})
}

func runTransfer(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "transfer", "--config FILE [--data DIR] [--metrics ADDR]")
	front := addConfigFront(fs, "configuration `file` with a transfer section (required)", true)
	front.override(fs, "metrics", "serve /metrics on `address` (overrides metrics.listen)", func(c *config.Config, v string) { c.Metrics.Listen = v })
	cfg, err := front.load(e, fs, args)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if len(cfg.Transfer.Destinations) == 0 {
		return fmt.Errorf("%w: %s has no transfer.destinations", errUsage, *front.path)
	}
	log := newLogger(cfg.Log, e.stderr)
	bucket, err := storeBucket(cfg.Store)
	if err != nil {
		return fmt.Errorf("store.blobs: %w", err)
	}
	st, err := store.Open(cfg.Data, store.Options{Subsystems: cfg.Subsystems, Index: cfg.Store.IndexOption(), Logger: log.With("component", "store"), Bucket: bucket})
	if err != nil {
		return err
	}
	defer st.Close()
	job, err := newTransferJob(cfg, st, e.getenv, log)
	if err != nil {
		return err
	}
	defer job.tr.Close()
	m := newMetrics(prometheus.NewRegistry())
	m.watchTransfer(job.tr)
	if cfg.Metrics.Listen != "" {
		ln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			return fmt.Errorf("metrics.listen: %w", err)
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() { _ = serveHTTP(ctx, "metrics", ln, m.handler(), httpserve.MetricsDefaults(), log) }()
		log.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	}
	log.Info("transfer running", "data", cfg.Data, "destinations", len(cfg.Transfer.Destinations))
	return job.run(ctx)
}

// transferJob is the transfer service of a configuration, with its status
// file <data>/transfer/status.json (for the status page of any process).
type transferJob struct {
	tr     *transfer.Transfer
	status string
	log    *slog.Logger
}

// newTransferJob builds the destinations of cfg.Transfer; their secrets
// come from the environment (config.SecretEnv).
func newTransferJob(cfg config.Config, src transfer.Source, getenv func(string) string, log *slog.Logger) (*transferJob, error) {
	secret := func(name, what string) (string, error) {
		v := getenv(config.SecretEnv(name, what))
		if v == "" {
			return "", fmt.Errorf("transfer destination %s: %s is not set", name, config.SecretEnv(name, what))
		}
		return v, nil
	}
	var dests []transfer.Destination
	for _, d := range cfg.Transfer.Destinations {
		switch {
		case d.XRootD != nil:
			b, err := xrdblob.New(xrdblob.Config{Addr: d.XRootD.Addr, Root: d.XRootD.Root, User: d.XRootD.User})
			if err != nil {
				return nil, fmt.Errorf("transfer destination %s: %w", d.Name, err)
			}
			dests = append(dests, &transfer.Bucket{ID: d.Name, Bucket: b})
		case d.S3 != nil:
			access, err := secret(d.Name, "ACCESS_KEY")
			if err != nil {
				return nil, err
			}
			key, err := secret(d.Name, "SECRET_KEY")
			if err != nil {
				return nil, err
			}
			b, err := s3blob.New(s3blob.Config{Endpoint: d.S3.Endpoint, Bucket: d.S3.Bucket, Prefix: d.S3.Prefix, Region: d.S3.Region,
				Insecure: d.S3.Insecure, Access: access, Secret: key})
			if err != nil {
				return nil, fmt.Errorf("transfer destination %s: %w", d.Name, err)
			}
			dests = append(dests, &transfer.Bucket{ID: d.Name, Bucket: b})
		case d.DQM != nil:
			tok, err := secret(d.Name, "TOKEN")
			if err != nil {
				return nil, err
			}
			dests = append(dests, &transfer.DQM{ID: d.Name, URL: d.DQM.URL, Token: tok})
		default:
			return nil, fmt.Errorf("transfer destination %s: no xrootd, s3 or dqm", d.Name)
		}
	}
	state := filepath.Join(cfg.Data, "transfer")
	tr, err := transfer.New(transfer.Config{
		Source: src, Destinations: dests, StateDir: state,
		Scan: cfg.Transfer.Scan, Retries: cfg.Transfer.Retries, RetryDelay: cfg.Transfer.RetryDelay,
		Logger: log.With("component", "transfer"),
	})
	if err != nil {
		return nil, err
	}
	return &transferJob{tr: tr, status: transferStatusPath(cfg.Data), log: log}, nil
}

// transferStatusPath is the transfer job's status file in dataDir.
func transferStatusPath(dataDir string) string {
	return filepath.Join(dataDir, "transfer", "status.json")
}

// transferStatus is the status file's content.
type transferStatus struct {
	Updated      time.Time        `json:"updated"`
	Destinations []transferDestSt `json:"destinations"`
}

type transferDestSt struct {
	transfer.Stats
	LagSeconds float64 `json:"lagSeconds"`
}

func (j *transferJob) writeStatus() {
	st := transferStatus{Updated: time.Now().UTC()}
	for _, s := range j.tr.Stats() {
		st.Destinations = append(st.Destinations, transferDestSt{Stats: s, LagSeconds: s.Lag.Seconds()})
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err == nil {
		err = fsutil.WriteFileAtomic(j.status, b, 0o644, false)
	}
	if err != nil {
		j.log.Warn("transfer: status file not written", "err", err)
	}
}

// run transfers until ctx is done, refreshing the status file every 5 s.
func (j *transferJob) run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			j.writeStatus()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err := j.tr.Run(ctx)
	close(done)
	j.writeStatus()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// watchTransfer exports the transfer's progress, by destination.
func (m *metrics) watchTransfer(tr *transfer.Transfer) {
	for _, s := range tr.Stats() {
		name := s.Destination
		get := func(f func(transfer.Stats) float64) func() float64 {
			return func() float64 {
				for _, s := range tr.Stats() {
					if s.Destination == name {
						return f(s)
					}
				}
				return 0
			}
		}
		labels := prometheus.Labels{"destination": name}
		m.counterFuncs(labels,
			counterFunc{"overwatch_transfer_sent_total", "Snapshots stored and verified at the destination.", get(func(s transfer.Stats) float64 { return float64(s.Sent) })},
			counterFunc{"overwatch_transfer_known_total", "Snapshots found already at the destination (and verified).", get(func(s transfer.Stats) float64 { return float64(s.Known) })},
			counterFunc{"overwatch_transfer_bytes_total", "Bytes sent to the destination.", get(func(s transfer.Stats) float64 { return float64(s.Bytes) })},
			counterFunc{"overwatch_transfer_failures_total", "Failed transfer attempts.", get(func(s transfer.Stats) float64 { return float64(s.Failures) })},
			counterFunc{"overwatch_transfer_conflicts_total", "Snapshots whose name the destination holds with other bytes.", get(func(s transfer.Stats) float64 { return float64(s.Conflicts) })},
		)
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "overwatch_transfer_pending_snapshots", Help: "Snapshots not yet at the destination.", ConstLabels: labels},
				get(func(s transfer.Stats) float64 { return float64(s.Pending) })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "overwatch_transfer_lag_seconds", Help: "Age of the oldest snapshot not yet at the destination (0: none pending).", ConstLabels: labels},
				get(func(s transfer.Stats) float64 { return s.Lag.Seconds() })),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "overwatch_transfer_last_sent_timestamp_seconds", Help: "When the last snapshot was verified at the destination (Unix time, 0: never).", ConstLabels: labels},
				get(func(s transfer.Stats) float64 {
					if s.LastSent.IsZero() {
						return 0
					}
					return float64(s.LastSent.Unix())
				})),
		)
	}
}
