package cli

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/receiver/dqm"
	"github.com/overwatch-dqm/overwatch/receiver/hlt"
	"github.com/overwatch-dqm/overwatch/trending"
)

// metrics exposes the components' counters to Prometheus. The SDK packages
// keep plain counters (Stats methods); this file, in the binary, is the
// only place that knows about Prometheus.
type metrics struct {
	reg       *prometheus.Registry
	httpReqs  *prometheus.CounterVec
	httpDur   *prometheus.HistogramVec
	processed *prometheus.CounterVec
	latency   *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		httpReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "overwatch_http_requests_total", Help: "HTTP requests served, by server and status code.",
		}, []string{"server", "code"}),
		httpDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "overwatch_http_request_duration_seconds", Help: "HTTP request durations, by server.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"server"}),
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "overwatch_processed_snapshots_total", Help: "Snapshots processed (full-run processing), by subsystem.",
		}, []string{"subsystem"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "overwatch_processing_latency_seconds",
			Help:    "Time from a snapshot's time stamp (when its receiver wrote it) until its histograms have been processed and trended, by subsystem.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 120},
		}, []string{"subsystem"}),
	}
	reg.MustRegister(m.httpReqs, m.httpDur, m.processed, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// counterFuncs registers one counter per (name, help, value) with constant
// labels.
func (m *metrics) counterFuncs(labels prometheus.Labels, cs ...counterFunc) {
	for _, c := range cs {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help, ConstLabels: labels}, c.value))
	}
}

type counterFunc struct {
	name, help string
	value      func() float64
}

func (m *metrics) watchHLT(sys string, r *hlt.Receiver) {
	st := func(f func(hlt.Stats) int64) func() float64 { return func() float64 { return float64(f(r.Stats())) } }
	m.counterFuncs(prometheus.Labels{"subsystem": sys},
		counterFunc{"overwatch_hlt_requests_total", "Requests sent to the HLT merger.", st(func(s hlt.Stats) int64 { return s.Requests })},
		counterFunc{"overwatch_hlt_replies_total", "Replies received from the HLT merger.", st(func(s hlt.Stats) int64 { return s.Replies })},
		counterFunc{"overwatch_hlt_timeouts_total", "Requests without a reply in time.", st(func(s hlt.Stats) int64 { return s.Timeouts })},
		counterFunc{"overwatch_hlt_snapshots_total", "Snapshots stored from HLT replies.", st(func(s hlt.Stats) int64 { return s.Written })},
		counterFunc{"overwatch_hlt_decode_failures_total", "Object payloads that could not be decoded.", st(func(s hlt.Stats) int64 { return s.BadObjects })},
		counterFunc{"overwatch_hlt_duplicates_total", "Replies skipped as identical to the previous snapshot.", st(func(s hlt.Stats) int64 { return s.Duplicates })},
		counterFunc{"overwatch_hlt_sink_errors_total", "Snapshots given up (refused permanently, or unstored at shutdown).", st(func(s hlt.Stats) int64 { return s.SinkErrors })},
		counterFunc{"overwatch_hlt_store_retries_total", "Failed attempts to store a snapshot that were retried.", st(func(s hlt.Stats) int64 { return s.StoreRetries })},
	)
}

func (m *metrics) watchDQM(s *dqm.Server) {
	st := func(f func(dqm.Stats) uint64) func() float64 { return func() float64 { return float64(f(s.Stats())) } }
	m.counterFuncs(nil,
		counterFunc{"overwatch_dqm_uploads_total", "Uploads received by the DQM receiver.", st(func(s dqm.Stats) uint64 { return s.Uploads })},
		counterFunc{"overwatch_dqm_uploads_accepted_total", "Uploads stored.", st(func(s dqm.Stats) uint64 { return s.Accepted })},
		counterFunc{"overwatch_dqm_uploads_rejected_total", "Uploads refused.", st(func(s dqm.Stats) uint64 { return s.Rejected })},
		counterFunc{"overwatch_dqm_uploads_quarantined_total", "Invalid uploads quarantined.", st(func(s dqm.Stats) uint64 { return s.Quarantined })},
		counterFunc{"overwatch_dqm_unauthorized_total", "Requests without a valid token.", st(func(s dqm.Stats) uint64 { return s.Unauthorized })},
		counterFunc{"overwatch_dqm_uploads_too_large_total", "Uploads refused as larger than maxSize or than the decoding budget.", st(func(s dqm.Stats) uint64 { return s.TooLarge })},
		counterFunc{"overwatch_dqm_uploads_busy_total", "Uploads refused with 429 (maxConcurrent uploads in progress).", st(func(s dqm.Stats) uint64 { return s.Busy })},
		counterFunc{"overwatch_dqm_quarantine_evicted_total", "Quarantined uploads evicted by the quarantine's bounds.", st(func(s dqm.Stats) uint64 { return s.QuarantineEvicted })},
	)
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "overwatch_dqm_quarantine_bytes", Help: "Size of the DQM quarantine.",
	}, func() float64 { return float64(s.Stats().QuarantineBytes) }))
}

// watchServer exports the connection and request bounds of a hardened
// server (internal/httpserve).
func (m *metrics) watchServer(name string, s *httpserve.Server) {
	labels := prometheus.Labels{"server": name}
	st := func(f func(httpserve.Stats) uint64) func() float64 {
		return func() float64 { return float64(f(s.Stats())) }
	}
	m.counterFuncs(labels,
		counterFunc{"overwatch_http_connections_accepted_total", "Connections accepted by a listener.", st(func(s httpserve.Stats) uint64 { return s.Accepted })},
		counterFunc{"overwatch_http_connections_refused_total", "Connections closed at once because the listener's maxConns was reached.", st(func(s httpserve.Stats) uint64 { return s.RefusedFull })},
		counterFunc{"overwatch_http_connections_refused_per_ip_total", "Connections closed at once because their address reached maxConnsPerIP.", st(func(s httpserve.Stats) uint64 { return s.RefusedPerIP })},
		counterFunc{"overwatch_http_requests_refused_total", "Requests answered 503 because maxRequests were in progress.", st(func(s httpserve.Stats) uint64 { return s.RequestsRefused })},
	)
	m.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "overwatch_http_connections_open", Help: "Open connections of a listener.", ConstLabels: labels},
			func() float64 { return float64(s.Stats().Conns) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "overwatch_http_requests_in_flight", Help: "Requests being handled by a server.", ConstLabels: labels},
			func() float64 { return float64(s.Stats().InFlight) }),
	)
}

func (m *metrics) watchDispatcher(d *trending.Dispatcher) {
	sum := func(f func(trending.DispatchStats) uint64) func() float64 {
		return func() float64 {
			var n uint64
			for _, s := range d.Stats() {
				n += f(s)
			}
			return float64(n)
		}
	}
	m.counterFuncs(nil,
		counterFunc{"overwatch_notifications_sent_total", "Notification batches delivered (summed over notifiers).", sum(func(s trending.DispatchStats) uint64 { return s.Sent })},
		counterFunc{"overwatch_notifications_failed_total", "Notification batches given up after retries.", sum(func(s trending.DispatchStats) uint64 { return s.Failed })},
		counterFunc{"overwatch_notifications_dropped_total", "Notification batches dropped from a full queue.", sum(func(s trending.DispatchStats) uint64 { return s.Dropped })},
	)
}

// watchProcessor exports the processing queue length.
func (m *metrics) watchProcessor(p *processing.Processor) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "overwatch_processing_queue_length",
		Help: "Snapshots (one per run and receiver after coalescing) waiting to be processed.",
	}, func() float64 { return float64(p.QueueLength()) }))
}

// observe wraps the trending observer to count processed snapshots and
// their latency.
func (m *metrics) observe(o processing.Observer) processing.Observer {
	return &meteredObserver{next: o, m: m}
}

type meteredObserver struct {
	next processing.Observer
	m    *metrics
}

func (o *meteredObserver) Observe(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error) {
	info, err := o.next.Observe(ctx, sys, snap, run, hists)
	o.m.processed.WithLabelValues(sys).Inc()
	if d := time.Since(snap.Time); d >= 0 && d < 24*time.Hour {
		o.m.latency.WithLabelValues(sys).Observe(d.Seconds())
	}
	return info, err
}

func (o *meteredObserver) EndCycle(ctx context.Context) { o.next.EndCycle(ctx) }

// instrument counts a server's requests by status code and times them.
func (m *metrics) instrument(server string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		start := time.Now()
		h.ServeHTTP(rec, r)
		m.httpReqs.WithLabelValues(server, strconv.Itoa(rec.code)).Inc()
		m.httpDur.WithLabelValues(server).Observe(time.Since(start).Seconds())
	})
}

// statusRecorder remembers the status code; it passes Flush through (for
// server-sent events) and unwraps for http.ResponseController.
type statusRecorder struct {
	http.ResponseWriter
	code    int
	written bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.written {
		s.code, s.written = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.written = true
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
