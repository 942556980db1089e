// Package config loads the configuration of the reference binary: a YAML
// file, then environment variables (OVERWATCH_*), then command-line flags,
// each overriding the previous, validated with messages that say what is
// wrong and where.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/httpserve"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/trending"
)

// Config is the whole configuration of an Overwatch deployment.
type Config struct {
	// Data is the data directory (store root). Default "./data".
	Data string `yaml:"data"`
	// Subsystems are the configured subsystems. Default EMC, TPC, HLT.
	Subsystems []string   `yaml:"subsystems"`
	Log        Log        `yaml:"log"`
	HLT        HLT        `yaml:"hlt"`
	DQM        DQM        `yaml:"dqm"`
	Processing Processing `yaml:"processing"`
	Store      Store      `yaml:"store"`
	Web        Web        `yaml:"web"`
	Monitor    Monitor    `yaml:"monitor"`
	Metrics    Metrics    `yaml:"metrics"`
	// Trending configures trends and alarms.
	Trending trending.Config `yaml:"trending"`
	// Notifications configures where alarms are sent.
	Notifications trending.NotifyConfig `yaml:"notifications"`
	// Quality configures the data-quality checks per subsystem.
	Quality map[string]quality.Config `yaml:"quality"`
	// Transfer configures the copies to other sites (overwatch transfer).
	Transfer Transfer `yaml:"transfer,omitempty"`
	// Layouts are official layouts of the web app, by name (read-only in
	// the browser; experts clone them to change them).
	Layouts map[string]overwatch.Layout `yaml:"layouts,omitempty"`
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error (default info)
	Format string `yaml:"format"` // text or json (default text)
}

// HLT configures the HLT ZeroMQ receivers.
type HLT struct {
	Receivers []HLTReceiver `yaml:"receivers"`
}

// HLTReceiver configures one HLT receiver (one merger endpoint).
type HLTReceiver struct {
	Subsystem string        `yaml:"subsystem"`
	In        string        `yaml:"in"` // e.g. "REQ>tcp://127.0.0.1:60201"
	Select    string        `yaml:"select"`
	Reset     bool          `yaml:"reset"`
	Sleep     time.Duration `yaml:"sleep"`
	Timeout   time.Duration `yaml:"timeout"`
}

// DQM configures the DQM REST receiver.
type DQM struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
	MaxSize Size   `yaml:"maxSize"`
	// MaxDecoded and MaxCells bound the memory that decoding one upload
	// may take (uncompressed bytes, histogram cells over all its objects);
	// larger uploads get 413.
	MaxDecoded Size  `yaml:"maxDecoded"`
	MaxCells   int64 `yaml:"maxCells"`
	// MaxConcurrent bounds the uploads handled at once (more get 429).
	MaxConcurrent int `yaml:"maxConcurrent"`
	// QuarantineMaxSize and QuarantineMaxAge bound the quarantine of
	// invalid uploads (oldest evicted first).
	QuarantineMaxSize Size          `yaml:"quarantineMaxSize"`
	QuarantineMaxAge  time.Duration `yaml:"quarantineMaxAge"`
	// Limits are the listener's timeouts and connection/request bounds
	// (default httpserve.DQMDefaults).
	Limits httpserve.Limits `yaml:"limits"`
}

// Processing configures the processing pipeline.
type Processing struct {
	Enabled bool `yaml:"enabled"`
	// Mode is "cumulative" (default) or "reset": what the receivers
	// record with the snapshots whose source does not say (HLT receivers
	// without reset, DQM uploads without an accumulation header,
	// drop-folder ingest, replay), and the default of processing and the
	// time-slice service for snapshots of older stores that carry
	// nothing. Processing itself follows each snapshot's recorded
	// accumulation (overwatch.SnapshotInfo.Accumulation).
	Mode string `yaml:"mode"`
	// Scan is the period of the catch-up scan (default 30s).
	Scan time.Duration `yaml:"scan"`
	// PNG is when histogram images are rendered: "demand" (default: by the
	// web app when first asked, from the bundle's JSON) or "eager" (every
	// image during processing).
	PNG string `yaml:"png"`
	// Ingest, when set, is a drop folder whose receiver-named files
	// (<SYS>histos_<run>_<mode>_<Y>_<M>_<D>_<h>_<m>_<s>.root, as written by
	// the C++ zmqReceive or `overwatch receive hlt --drop`) are moved into
	// the store every few seconds.
	Ingest string `yaml:"ingest"`
}

// Web configures the web app.
type Web struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"`
	// JSROOT is the directory of the installed jsroot package (default:
	// tools/jsroot/node_modules/jsroot next to the binary or the working
	// directory).
	JSROOT string `yaml:"jsroot"`
	// TrustedProxyHeader enables auto-login from a header set by an SSO
	// front end (e.g. "X-Remote-User"). Empty: disabled. It needs
	// TrustedProxies; a request carrying the header from any other
	// address is refused (403).
	TrustedProxyHeader string `yaml:"trustedProxyHeader"`
	// TrustedProxies are the addresses or CIDRs of the SSO front ends
	// allowed to set TrustedProxyHeader (e.g. ["10.0.0.5", "10.1.0.0/24"]).
	// They are also exempt from limits.maxConnsPerIP.
	TrustedProxies []string `yaml:"trustedProxies"`
	// DisablePasswordLogin turns the password login off (the login page
	// and form answer 403): users log in through the SSO front end only.
	// Needs TrustedProxyHeader.
	DisablePasswordLogin bool `yaml:"disablePasswordLogin"`
	// TLSCert and TLSKey serve HTTPS when both are set.
	TLSCert string `yaml:"tlsCert"`
	TLSKey  string `yaml:"tlsKey"`
	// Limits are the listener's timeouts and connection/request bounds
	// (default httpserve.WebDefaults).
	Limits httpserve.Limits `yaml:"limits"`
}

// Monitor configures the receiver heartbeat monitor.
type Monitor struct {
	Enabled      bool          `yaml:"enabled"`
	Interval     time.Duration `yaml:"interval"`
	InitialDelay time.Duration `yaml:"initialDelay"`
	// NoDataAfter is how long a live receiver may store no new data while
	// its source reports an ongoing run before the monitor alerts and the
	// status page says so (default 10m).
	NoDataAfter time.Duration `yaml:"noDataAfter"`
}

// Metrics configures the Prometheus endpoint.
type Metrics struct {
	// Listen serves /metrics on its own address. Empty serves it nowhere
	// unless OnWebPort is set.
	Listen string `yaml:"listen"`
	// Limits are the listener's timeouts and connection/request bounds
	// (default httpserve.MetricsDefaults).
	Limits httpserve.Limits `yaml:"limits"`
	// OnWebPort also serves /metrics on the web app's listener, to anyone
	// who reaches it (no login): off by default; the demo sets it.
	OnWebPort bool `yaml:"onWebPort"`
}

// Size is a byte count written as "256MiB", "2MB", "1024", ...
type Size int64

// UnmarshalYAML parses a size.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = Size(v)
	return nil
}

var sizeRE = regexp.MustCompile(`^\s*([0-9]+)\s*([kKmMgG]i?[bB]?|[bB])?\s*$`)

// ParseSize parses a byte count with an optional unit (B, kB, KiB, MB, MiB,
// GB, GiB).
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("invalid size %q (want e.g. 256MiB)", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q: %w", s, err)
	}
	mult := int64(1)
	switch u := strings.ToLower(m[2]); {
	case u == "" || u == "b":
	case strings.HasPrefix(u, "ki"):
		mult = 1 << 10
	case strings.HasPrefix(u, "mi"):
		mult = 1 << 20
	case strings.HasPrefix(u, "gi"):
		mult = 1 << 30
	case strings.HasPrefix(u, "k"):
		mult = 1e3
	case strings.HasPrefix(u, "m"):
		mult = 1e6
	case strings.HasPrefix(u, "g"):
		mult = 1e9
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q too large", s)
	}
	return n * mult, nil
}

// Default returns the configuration used when nothing is configured.
func Default() Config {
	return Config{
		Data:       "data",
		Subsystems: []string{"EMC", "TPC", "HLT"},
		Log:        Log{Level: "info", Format: "text"},
		DQM: DQM{Listen: "127.0.0.1:8081", MaxSize: 256 << 20, MaxDecoded: 128 << 20, MaxCells: 16 << 20,
			MaxConcurrent: 4, QuarantineMaxSize: 1 << 30, QuarantineMaxAge: 7 * 24 * time.Hour, Limits: httpserve.DQMDefaults()},
		Processing: Processing{Enabled: true, Mode: "cumulative", Scan: 30 * time.Second},
		Web:        Web{Enabled: true, Listen: "127.0.0.1:8080", Limits: httpserve.WebDefaults()},
		Monitor:    Monitor{Enabled: true, Interval: time.Minute, InitialDelay: 5 * time.Minute, NoDataAfter: 10 * time.Minute},
		Metrics:    Metrics{Limits: httpserve.MetricsDefaults()},
	}
}

// Load reads a YAML file over the defaults (unknown keys are errors), then
// applies the environment (see Env). path "" skips the file.
func Load(path string, getenv func(string) string) (Config, error) {
	c := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := Parse(b, &c); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if getenv != nil {
		if err := c.ApplyEnv(getenv); err != nil {
			return c, err
		}
	}
	return c, nil
}

// Parse decodes YAML into c strictly: unknown keys are errors.
func Parse(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // io.EOF: empty file
		return err
	}
	return nil
}

// Env lists the environment variables ApplyEnv reads.
var Env = []string{
	"OVERWATCH_DATA", "OVERWATCH_SUBSYSTEMS", "OVERWATCH_LOG_LEVEL", "OVERWATCH_LOG_FORMAT",
	"OVERWATCH_WEB_LISTEN", "OVERWATCH_DQM_LISTEN", "OVERWATCH_METRICS_LISTEN",
	"OVERWATCH_SMTP_PASSWORD", "OVERWATCH_TRUSTED_PROXY_HEADER", "OVERWATCH_TRUSTED_PROXIES", "OVERWATCH_PG_DSN",
	EnvS3Access, EnvS3Secret,
}

// ApplyEnv overrides c with the OVERWATCH_* environment variables that are
// set (secrets such as the SMTP password are best given this way).
func (c *Config) ApplyEnv(getenv func(string) string) error {
	set := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set("OVERWATCH_DATA", &c.Data)
	set("OVERWATCH_PG_DSN", &c.Store.DSN)
	set(EnvS3Access, &c.Store.S3Access)
	set(EnvS3Secret, &c.Store.S3Secret)
	if v := getenv("OVERWATCH_SUBSYSTEMS"); v != "" {
		c.Subsystems = SplitList(v)
	}
	set("OVERWATCH_LOG_LEVEL", &c.Log.Level)
	set("OVERWATCH_LOG_FORMAT", &c.Log.Format)
	set("OVERWATCH_WEB_LISTEN", &c.Web.Listen)
	set("OVERWATCH_DQM_LISTEN", &c.DQM.Listen)
	set("OVERWATCH_METRICS_LISTEN", &c.Metrics.Listen)
	set("OVERWATCH_TRUSTED_PROXY_HEADER", &c.Web.TrustedProxyHeader)
	if v := getenv("OVERWATCH_TRUSTED_PROXIES"); v != "" {
		c.Web.TrustedProxies = SplitList(v)
	}
	if v := getenv("OVERWATCH_SMTP_PASSWORD"); v != "" {
		if c.Notifications.SMTP == nil {
			return errors.New("config: OVERWATCH_SMTP_PASSWORD is set but notifications.smtp is not configured")
		}
		c.Notifications.SMTP.Password = v
	}
	return nil
}

// SplitList splits a comma-separated list, trimming spaces and dropping
// empty items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks the whole configuration and returns every problem found,
// one per line.
func (c *Config) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if c.Data == "" {
		bad("data: must name the data directory")
	}
	if len(c.Subsystems) == 0 {
		bad("subsystems: at least one subsystem is needed")
	}
	seen := map[string]bool{}
	for _, s := range c.Subsystems {
		if !overwatch.ValidSubsystem(s) {
			bad("subsystems: %q is not a subsystem name (2-8 upper-case letters/digits, e.g. EMC)", s)
		}
		if seen[s] {
			bad("subsystems: %s listed twice", s)
		}
		seen[s] = true
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format: %q is not text or json", c.Log.Format)
	}
	for i, r := range c.HLT.Receivers {
		if !overwatch.ValidSubsystem(r.Subsystem) {
			bad("hlt.receivers[%d].subsystem: %q is not a subsystem name", i, r.Subsystem)
		}
		if !strings.HasPrefix(r.In, "REQ>tcp://") && !strings.HasPrefix(r.In, "REQ>ipc://") {
			bad("hlt.receivers[%d].in: %q must look like REQ>tcp://HOST:PORT", i, r.In)
		}
		if r.Sleep < 0 || r.Timeout < 0 {
			bad("hlt.receivers[%d]: sleep and timeout must not be negative", i)
		}
		if r.Select != "" {
			if _, err := regexp.Compile(r.Select); err != nil {
				bad("hlt.receivers[%d].select: %v", i, err)
			}
		}
	}
	checkAddr := func(field, addr string) {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad("%s: %q is not host:port (%v)", field, addr, err)
		}
	}
	if c.DQM.Enabled {
		checkAddr("dqm.listen", c.DQM.Listen)
		for _, f := range []struct {
			name string
			v    int64
		}{
			{"maxSize", int64(c.DQM.MaxSize)}, {"maxDecoded", int64(c.DQM.MaxDecoded)}, {"maxCells", c.DQM.MaxCells},
			{"maxConcurrent", int64(c.DQM.MaxConcurrent)}, {"quarantineMaxSize", int64(c.DQM.QuarantineMaxSize)},
			{"quarantineMaxAge", int64(c.DQM.QuarantineMaxAge)},
		} {
			if f.v <= 0 {
				bad("dqm.%s: must be positive", f.name)
			}
		}
		if err := c.DQM.Limits.Validate(); err != nil {
			bad("dqm.limits: %v", err)
		}
	}
	switch c.Processing.Mode {
	case "cumulative", "reset":
	default:
		bad("processing.mode: %q is not cumulative or reset", c.Processing.Mode)
	}
	if c.Processing.Scan <= 0 {
		bad("processing.scan: must be positive")
	}
	c.Store.validate(bad)
	switch c.Processing.PNG {
	case "", "demand", "eager":
	default:
		bad("processing.png: %q is not demand or eager", c.Processing.PNG)
	}
	if c.Web.Enabled {
		checkAddr("web.listen", c.Web.Listen)
		if (c.Web.TLSCert == "") != (c.Web.TLSKey == "") {
			bad("web: tlsCert and tlsKey go together")
		}
		if err := c.Web.Limits.Validate(); err != nil {
			bad("web.limits: %v", err)
		}
		if _, err := ParsePrefixes(c.Web.TrustedProxies); err != nil {
			bad("web.trustedProxies: %v", err)
		}
		switch h := c.Web.TrustedProxyHeader; {
		case h != "" && !validHeaderName(h):
			bad("web.trustedProxyHeader: %q is not an HTTP header name", h)
		case h != "" && len(c.Web.TrustedProxies) == 0:
			bad("web.trustedProxyHeader: needs web.trustedProxies, the addresses of the SSO proxies allowed to set it")
		case h == "" && c.Web.DisablePasswordLogin:
			bad("web.disablePasswordLogin: needs web.trustedProxyHeader (otherwise nobody could log in)")
		}
	}
	if c.Metrics.Listen != "" {
		checkAddr("metrics.listen", c.Metrics.Listen)
		if err := c.Metrics.Limits.Validate(); err != nil {
			bad("metrics.limits: %v", err)
		}
	}
	if c.Monitor.Enabled && c.Monitor.Interval <= 0 {
		bad("monitor.interval: must be positive")
	}
	if c.Monitor.NoDataAfter <= 0 {
		bad("monitor.noDataAfter: must be positive")
	}
	if err := c.Trending.Validate(); err != nil {
		bad("trending: %v", err)
	}
	if u := c.Notifications.BaseURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.RawQuery != "" || p.Fragment != "" {
			bad("notifications.baseURL: %q is not an http(s) URL of the web app (e.g. https://overwatch.example.org)", u)
		}
	}
	c.validateQuality(bad)
	c.validateLayouts(bad)
	if s := c.Notifications.SMTP; s != nil {
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			bad("notifications.smtp.address: %q is not host:port", s.Address)
		}
		if s.StartTLS != nil && *s.StartTLS && s.ImplicitTLS() {
			bad("notifications.smtp: starttls and tls (implicit TLS, port 465) exclude each other")
		}
		if s.From == "" {
			bad("notifications.smtp.from: required")
		}
	}
	for name, w := range map[string]*trending.WebhookConfig{"slack": c.Notifications.Slack, "webhook": c.Notifications.Webhook} {
		if w != nil && !strings.HasPrefix(w.URL, "http://") && !strings.HasPrefix(w.URL, "https://") {
			bad("notifications.%s.url: %q is not an http(s) URL", name, w.URL)
		}
	}
	c.Transfer.validate(bad)
	if len(errs) == 0 {
		return nil
	}
	sort.Strings(errs)
	return fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
}

// ParsePrefixes parses addresses ("10.0.0.5", "::1") and CIDRs
// ("10.1.0.0/24") into prefixes; an address is a prefix of its full
// length.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range list {
		p = strings.TrimSpace(p)
		if a, err := netip.ParseAddr(p); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR (e.g. 10.0.0.5 or 10.1.0.0/24)", p)
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

// validHeaderName reports whether s is an HTTP header field name (an RFC
// 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// AbsData returns the absolute data directory.
func (c *Config) AbsData() (string, error) { return filepath.Abs(c.Data) }

// Accumulation is Mode as the accumulation recorded with snapshots
// (overwatch.Reset for "reset", else overwatch.Cumulative).
func (p Processing) Accumulation() overwatch.Accumulation {
	if p.Mode == "reset" {
		return overwatch.Reset
	}
	return overwatch.Cumulative
}
