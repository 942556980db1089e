package trending

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Notification tells people that an alarm fired (or resolved).
type Notification struct {
	AlarmID    string               `json:"id"`
	Subsystem  string               `json:"subsystem"`
	Trend      string               `json:"trend"`
	Alarm      string               `json:"alarm"`
	Hist       string               `json:"histogram"`
	State      overwatch.AlarmState `json:"state"`
	Message    string               `json:"message"`
	Run        int                  `json:"run"`
	Time       time.Time            `json:"time"`
	Recipients []string             `json:"-"`
	// RunURL is the web app's page of the run and subsystem (the status
	// page for notifications without a run), and PlotURL the image of the
	// histogram: absolute URLs under NotifyConfig.BaseURL, filled by the
	// Dispatcher's link function (see Dispatcher.SetLinks).
	RunURL  string `json:"runURL,omitempty"`
	PlotURL string `json:"plotURL,omitempty"`
}

// Line returns a one-line human form of the notification, with its links.
func (n Notification) Line() string {
	s := fmt.Sprintf("%s Run %d %s/%s (%s): %s", strings.ToUpper(string(n.State)), n.Run, n.Subsystem, n.Trend, n.Hist, n.Message)
	if n.RunURL != "" {
		s += " — run page: " + n.RunURL
	}
	if n.PlotURL != "" {
		s += " — plot: " + n.PlotURL
	}
	return s
}

// A Notifier delivers a batch of notifications somewhere.
type Notifier interface {
	// Name identifies the notifier in logs and metrics ("smtp", "slack", ...).
	Name() string
	// Notify delivers the batch; an error means it should be retried.
	Notify(ctx context.Context, batch []Notification) error
}

// NotifyConfig configures the notifiers (YAML).
type NotifyConfig struct {
	// BaseURL is the web app's address as the recipients reach it (e.g.
	// "https://overwatch.example.org"): every notification links to its
	// run page and plot under it. Empty: the binary derives it from the web
	// app's listener.
	BaseURL string         `yaml:"baseURL"`
	SMTP    *SMTPConfig    `yaml:"smtp"`
	Slack   *WebhookConfig `yaml:"slack"`   // Slack/Mattermost incoming webhook
	Webhook *WebhookConfig `yaml:"webhook"` // generic JSON webhook
	// Retries is the number of attempts per notifier and batch (default 5).
	Retries int `yaml:"retries"`
	// Backoff is the first retry delay, doubled each time up to MaxBackoff
	// (defaults 1s and 1m).
	Backoff    time.Duration `yaml:"backoff"`
	MaxBackoff time.Duration `yaml:"maxBackoff"`
}

// SMTPConfig configures e-mail delivery. The password is read from the
// configuration or the environment by the caller; it is never logged.
type SMTPConfig struct {
	Address  string `yaml:"address"` // host:port
	From     string `yaml:"from"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// StartTLS requires STARTTLS before authenticating (default true when
	// a username is set and TLS is off).
	StartTLS *bool `yaml:"starttls"`
	// TLS speaks TLS from the first byte ("implicit TLS", submissions on
	// port 465; default true when the port is 465). The server's
	// certificate is verified against the system roots.
	TLS *bool `yaml:"tls"`
	// Subject prefix (default "Overwatch alarm").
	Subject string `yaml:"subject"`
}

// WebhookConfig configures a webhook notifier.
type WebhookConfig struct {
	URL string `yaml:"url"`
	// Channel and Username are sent to Slack/Mattermost when set.
	Channel  string `yaml:"channel"`
	Username string `yaml:"username"`
}

// ImplicitTLS reports whether the configuration asks for implicit TLS:
// TLS set, or else port 465.
func (c SMTPConfig) ImplicitTLS() bool {
	if c.TLS != nil {
		return *c.TLS
	}
	_, port, _ := net.SplitHostPort(c.Address)
	return port == "465"
}

// SMTPNotifier sends one plain-text e-mail per batch and recipient list.
type SMTPNotifier struct {
	Config SMTPConfig
	// Dial, when set, replaces net.Dialer for tests.
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// RootCAs, when set, replaces the system roots that verify the
	// server's certificate (tests).
	RootCAs *x509.CertPool
}

// Name returns "smtp".
func (s *SMTPNotifier) Name() string { return "smtp" }

// Notify implements Notifier: the batch is grouped by recipient list and
// each group is sent as one mail.
func (s *SMTPNotifier) Notify(ctx context.Context, batch []Notification) error {
	groups := map[string][]Notification{}
	for _, n := range batch {
		if len(n.Recipients) == 0 {
			continue
		}
		rs := append([]string(nil), n.Recipients...)
		sort.Strings(rs)
		k := strings.Join(rs, ",")
		groups[k] = append(groups[k], n)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := s.send(ctx, strings.Split(k, ","), groups[k]); err != nil {
			return err
		}
	}
	return nil
}

func (s *SMTPNotifier) send(ctx context.Context, to []string, ns []Notification) error {
	c := s.Config
	if c.Address == "" || c.From == "" {
		return errors.New("smtp: address and from must be configured")
	}
	for _, a := range append([]string{c.From}, to...) {
		if strings.ContainsAny(a, "\r\n<>") {
			return fmt.Errorf("smtp: invalid address %q", a)
		}
	}
	dial := s.Dial
	if dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	host, _, _ := net.SplitHostPort(c.Address)
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, RootCAs: s.RootCAs}
	conn, err := dial(ctx, c.Address)
	if err != nil {
		return fmt.Errorf("smtp: dial %s: %w", c.Address, err)
	}
	implicit := c.ImplicitTLS()
	if implicit {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return fmt.Errorf("smtp: TLS with %s: %w", c.Address, err)
		}
		conn = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer cl.Close()
	starttls := c.Username != "" && !implicit
	if c.StartTLS != nil {
		starttls = *c.StartTLS && !implicit
	}
	if starttls {
		if err := cl.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("smtp: STARTTLS: %w", err)
		}
	}
	if c.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.Username, c.Password, host)); err != nil {
			return fmt.Errorf("smtp: authentication: %w", err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	for _, r := range to {
		if err := cl.Rcpt(r); err != nil {
			return fmt.Errorf("smtp: RCPT TO %s: %w", r, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	subject := c.Subject
	if subject == "" {
		subject = "Overwatch alarm"
	}
	if len(ns) == 1 {
		subject += ": " + ns[0].Subsystem + "/" + ns[0].Trend + " " + string(ns[0].State)
	} else {
		subject += fmt.Sprintf(": %d alarms", len(ns))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		c.From, strings.Join(to, ", "), sanitizeHeader(subject), time.Now().UTC().Format(time.RFC1123Z))
	for _, n := range ns {
		fmt.Fprintf(&b, "%s Run %d %s/%s (%s): %s\r\n", strings.ToUpper(string(n.State)), n.Run, n.Subsystem, n.Trend, n.Hist, sanitizeHeader(n.Message))
		if n.RunURL != "" {
			fmt.Fprintf(&b, "  Run page: %s\r\n", n.RunURL)
		}
		if n.PlotURL != "" {
			fmt.Fprintf(&b, "  Plot:     %s\r\n", n.PlotURL)
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("smtp: writing message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: ending message: %w", err)
	}
	return cl.Quit()
}

func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// SlackNotifier posts a batch as one message to a Slack- or
// Mattermost-compatible incoming webhook ({"text": ...}).
type SlackNotifier struct {
	Config WebhookConfig
	Client *http.Client
}

// Name returns "slack".
func (s *SlackNotifier) Name() string { return "slack" }

// Notify implements Notifier.
func (s *SlackNotifier) Notify(ctx context.Context, batch []Notification) error {
	lines := make([]string, len(batch))
	for i, n := range batch {
		lines[i] = n.Line()
	}
	body := map[string]string{"text": strings.Join(lines, "\n")}
	if s.Config.Channel != "" {
		body["channel"] = s.Config.Channel
	}
	if s.Config.Username != "" {
		body["username"] = s.Config.Username
	}
	return postJSON(ctx, s.Client, s.Config.URL, body)
}

// WebhookNotifier posts a batch as one JSON document
// {"notifications": [...]} to a URL.
type WebhookNotifier struct {
	Config WebhookConfig
	Client *http.Client
}

// Name returns "webhook".
func (w *WebhookNotifier) Name() string { return "webhook" }

// Notify implements Notifier.
func (w *WebhookNotifier) Notify(ctx context.Context, batch []Notification) error {
	return postJSON(ctx, w.Client, w.Config.URL, map[string]any{"notifications": batch})
}

func postJSON(ctx context.Context, cl *http.Client, url string, v any) error {
	if url == "" {
		return errors.New("webhook: no URL configured")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if cl == nil {
		cl = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: %s answered %s", req.URL.Redacted(), strconv.Quote(resp.Status))
	}
	return nil
}

// NewNotifiers builds the notifiers a configuration enables.
func NewNotifiers(c NotifyConfig) []Notifier {
	var ns []Notifier
	if c.SMTP != nil && c.SMTP.Address != "" {
		ns = append(ns, &SMTPNotifier{Config: *c.SMTP})
	}
	if c.Slack != nil && c.Slack.URL != "" {
		ns = append(ns, &SlackNotifier{Config: *c.Slack})
	}
	if c.Webhook != nil && c.Webhook.URL != "" {
		ns = append(ns, &WebhookNotifier{Config: *c.Webhook})
	}
	return ns
}

// DispatchStats counts what the dispatcher did, per notifier.
type DispatchStats struct {
	Sent, Failed, Retried, Dropped uint64
}

// Dispatcher delivers notification batches in the background: each batch
// goes to every notifier, retried with capped exponential back-off; a
// failure is logged and counted and never blocks the caller. When the queue
// is full the oldest batch is dropped (and counted).
type Dispatcher struct {
	notifiers  []Notifier
	retries    int
	backoff    time.Duration
	maxBackoff time.Duration
	log        *slog.Logger
	queue      chan []Notification
	done       chan struct{}
	stop       context.CancelFunc
	ctx        context.Context

	mu    sync.Mutex
	stats map[string]*counters
	links func(*Notification)
	idle  sync.WaitGroup
}

// SetLinks installs the function that fills a notification's RunURL and
// PlotURL before delivery (the binary builds it from NotifyConfig.BaseURL
// and the web app's paths). Call it before the first Enqueue.
func (d *Dispatcher) SetLinks(f func(*Notification)) {
	d.mu.Lock()
	d.links = f
	d.mu.Unlock()
}

type counters struct{ sent, failed, retried, dropped atomic.Uint64 }

// NewDispatcher starts a dispatcher for the notifiers. Close stops it.
func NewDispatcher(notifiers []Notifier, c NotifyConfig, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.Default()
	}
	d := &Dispatcher{
		notifiers: notifiers, retries: c.Retries, backoff: c.Backoff, maxBackoff: c.MaxBackoff,
		log: log, queue: make(chan []Notification, 64), done: make(chan struct{}),
		stats: map[string]*counters{},
	}
	if d.retries <= 0 {
		d.retries = 5
	}
	if d.backoff <= 0 {
		d.backoff = time.Second
	}
	if d.maxBackoff <= 0 {
		d.maxBackoff = time.Minute
	}
	for _, n := range notifiers {
		d.stats[n.Name()] = &counters{}
	}
	d.ctx, d.stop = context.WithCancel(context.Background())
	go d.loop()
	return d
}

// Enqueue hands a batch over for delivery without blocking.
func (d *Dispatcher) Enqueue(batch []Notification) {
	if len(batch) == 0 || len(d.notifiers) == 0 {
		return
	}
	d.mu.Lock()
	links := d.links
	d.mu.Unlock()
	if links != nil {
		batch = append([]Notification(nil), batch...)
		for i := range batch {
			links(&batch[i])
		}
	}
	d.idle.Add(1)
	for {
		select {
		case d.queue <- batch:
			return
		default:
		}
		select {
		case old := <-d.queue:
			d.idle.Done()
			for _, n := range d.notifiers {
				d.counter(n.Name()).dropped.Add(1)
			}
			d.log.Error("notifications: queue full; oldest batch dropped", "notifications", len(old))
		default:
		}
	}
}

func (d *Dispatcher) counter(name string) *counters {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.stats[name]
	if !ok {
		c = &counters{}
		d.stats[name] = c
	}
	return c
}

func (d *Dispatcher) loop() {
	defer close(d.done)
	for {
		select {
		case <-d.ctx.Done():
			return
		case b := <-d.queue:
			var wg sync.WaitGroup
			for _, n := range d.notifiers {
				wg.Add(1)
				go func() { defer wg.Done(); d.deliver(n, b) }()
			}
			wg.Wait()
			d.idle.Done()
		}
	}
}

func (d *Dispatcher) deliver(n Notifier, b []Notification) {
	c := d.counter(n.Name())
	wait := d.backoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
		err := n.Notify(ctx, b)
		cancel()
		if err == nil {
			c.sent.Add(1)
			return
		}
		if attempt >= d.retries || d.ctx.Err() != nil {
			c.failed.Add(1)
			d.log.Error("notifications: delivery failed", "notifier", n.Name(), "attempts", attempt, "err", err)
			return
		}
		c.retried.Add(1)
		d.log.Warn("notifications: delivery failed; retrying", "notifier", n.Name(), "attempt", attempt, "in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-d.ctx.Done():
			c.failed.Add(1)
			return
		}
		wait = min(2*wait, d.maxBackoff)
	}
}

// Stats returns the counters per notifier name.
func (d *Dispatcher) Stats() map[string]DispatchStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]DispatchStats, len(d.stats))
	for k, c := range d.stats {
		out[k] = DispatchStats{Sent: c.sent.Load(), Failed: c.failed.Load(), Retried: c.retried.Load(), Dropped: c.dropped.Load()}
	}
	return out
}

// Wait blocks until every enqueued batch has been delivered or given up,
// or ctx is done.
func (d *Dispatcher) Wait(ctx context.Context) error {
	ch := make(chan struct{})
	go func() { d.idle.Wait(); close(ch) }()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the dispatcher; batches still queued are abandoned.
func (d *Dispatcher) Close() error {
	d.stop()
	<-d.done
	return nil
}
