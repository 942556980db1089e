package webapp

import (
	"context"
	"errors"
	"fmt"
	"github.com/overwatch-dqm/overwatch/timeslice"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Config configures the web app.
type Config struct {
	// Store is where runs, outputs, trends and alarms are read. Required.
	Store Store
	// Alarms is the one write the web app makes: the alarm actions of
	// logged-in users (acknowledge, silence), as atomic updates with their
	// history, which the run pages also read. Required.
	Alarms overwatch.AlarmHistory
	// Documents keeps the versioned documents people edit in the browser
	// (layouts, references, bad-channel lists, preferences): the web app's
	// second write, each kind guarded by its role permission. Nil disables
	// those pages and their API (503).
	Documents overwatch.DocumentStore
	// Layouts are the layouts declared in the configuration, by name:
	// official and read-only in the browser (a stored layout of the same
	// name is hidden by them). Each must pass Layout.Check.
	Layouts map[string]overwatch.Layout
	// DataDir is the data directory holding the web app's private
	// directory ".webapp" (the users file and the session secret).
	// Required.
	DataDir string
	// Users is the user database; nil opens UsersPath(DataDir).
	Users *Users
	// Secret signs sessions and CSRF tokens; nil loads (or creates at first
	// start) SecretPath(DataDir).
	Secret []byte
	// JSROOTDir is the directory of the installed jsroot npm package (the
	// one holding modules/main.mjs), served under /jsroot/. Empty, or a
	// directory without JSROOT, makes the pages fall back to the
	// server-rendered PNGs and say how to install JSROOT.
	JSROOTDir string
	// Slices computes time slices; nil disables them (the API answers 503).
	Slices SliceService
	// Thresholds lists the check thresholds a time slice may override,
	// offered in the slice form (quality/observe's Observer; nil: none
	// offered — the slice service still validates what a request sends).
	Thresholds ThresholdLister
	// SecureCookies sets the Secure flag on cookies even when the server
	// itself does not terminate TLS (behind a TLS proxy). Requests that
	// arrive over TLS always get Secure cookies.
	SecureCookies bool
	// TrustedProxyHeader, when set, logs in the user named by this request
	// header (e.g. "X-Remote-User" set by an SSO proxy) — but only for
	// requests whose peer address is in TrustedProxies. Off by default.
	TrustedProxyHeader string
	// TrustedProxies are the addresses allowed to set TrustedProxyHeader.
	TrustedProxies []netip.Prefix
	// ProxyRole is the role of users logged in by TrustedProxyHeader who
	// are not in the users file (default viewer; an entry in the users
	// file gives its role).
	ProxyRole Role
	// Tokens are the API tokens; nil opens TokensPath(DataDir).
	Tokens *Tokens
	// SessionTTL is how long a login lasts (default 12 h).
	SessionTTL time.Duration
	// LoginAttempts logins per (user name, client address) may fail within
	// LoginWindow (defaults 5 per 5 minutes); then 429. One address may
	// fail 4×LoginAttempts times over all user names. Failures of a user
	// name from all addresses together never refuse a login: beyond
	// LoginAttempts each adds 0.25 s (up to 5 s) before the password is
	// checked.
	LoginAttempts int
	LoginWindow   time.Duration
	// LoginConcurrency bounds the password checks (bcrypt) running at once
	// (default: the number of CPUs); a login waiting more than 10 s for
	// one gets 503.
	LoginConcurrency int
	// Sessions keeps the server-side session records; nil uses the data
	// directory (NewDirSessions(SessionsPath(DataDir))), shared by every
	// replica serving it.
	Sessions SessionStore
	// PollInterval is how often the live-update hub looks for new outputs
	// of the newest runs (default 2 s).
	PollInterval time.Duration
	// Subsystems are the receivers whose heartbeats the status page shows
	// (default EMC, TPC, HLT).
	Subsystems []string
	// Heartbeats tells the receivers' heartbeat and data state for the
	// status page (package cli wires package heartbeat and the monitor's
	// no-data rule in); nil shows none.
	Heartbeats HeartbeatReader
	// Transfers tells the transfer job's state per destination for the
	// status page (package cli reads the job's status file); nil shows
	// none.
	Transfers TransferReader
	// Logger receives request errors (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

// SliceService computes time slices asynchronously (the time-slice
// service's own methods). Submit returns at once with the job's key; equal requests share one key and one result, and a
// request whose result is already stored is done immediately, so a
// permalink (which carries the request, not the key) works after a
// restart. Status errors wrap overwatch.ErrNotFound for an unknown key;
// run and sys locate the slice's stored record. Errors about a request
// that cannot be satisfied wrap timeslice.ErrInvalidRequest (the web app
// answers 400). *timeslice.Service is one.
type SliceService interface {
	Submit(ctx context.Context, req timeslice.Request) (key string, err error)
	Status(ctx context.Context, run int, sys, key string) (timeslice.Status, error)
}

func (c *Config) setDefaults() error {
	if c.Store == nil {
		return errors.New("webapp: Config.Store is required")
	}
	if c.DataDir == "" {
		return errors.New("webapp: Config.DataDir is required")
	}
	layouts := make(map[string]overwatch.Layout, len(c.Layouts)) // a copy: the caller's map is left alone
	for name, l := range c.Layouts {
		if err := overwatch.CheckLayoutName(name); err != nil {
			return fmt.Errorf("webapp: Config.Layouts: %w", err)
		}
		if err := l.Check(); err != nil {
			return fmt.Errorf("webapp: Config.Layouts[%s]: %w", name, err)
		}
		layouts[name] = l // normalized
	}
	c.Layouts = layouts
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.LoginAttempts <= 0 {
		c.LoginAttempts = 5
	}
	if c.LoginWindow <= 0 {
		c.LoginWindow = 5 * time.Minute
	}
	if c.ProxyRole == "" {
		c.ProxyRole = RoleViewer
	}
	if _, err := ParseRole(string(c.ProxyRole)); err != nil {
		return err
	}
	if c.Tokens == nil {
		t, err := OpenTokens(TokensPath(c.DataDir))
		if err != nil {
			return err
		}
		c.Tokens = t
	}
	if c.LoginConcurrency <= 0 {
		c.LoginConcurrency = runtime.NumCPU()
	}
	if c.Sessions == nil {
		c.Sessions = NewDirSessions(SessionsPath(c.DataDir), c.Now)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if len(c.Subsystems) == 0 {
		c.Subsystems = []string{"EMC", "TPC", "HLT"}
	}
	if c.TrustedProxyHeader != "" && len(c.TrustedProxies) == 0 {
		return errors.New("webapp: TrustedProxyHeader needs TrustedProxies (the proxy addresses allowed to set it)")
	}
	if c.Users == nil {
		u, err := OpenUsers(UsersPath(c.DataDir))
		if err != nil {
			return err
		}
		c.Users = u
	}
	if c.Secret == nil {
		k, err := LoadOrCreateSecret(SecretPath(c.DataDir))
		if err != nil {
			return err
		}
		c.Secret = k
	}
	if len(c.Secret) < 32 {
		return errors.New("webapp: Config.Secret must have at least 32 bytes")
	}
	return nil
}

// FindJSROOT returns the first of the candidate directories that holds an
// installed jsroot package (modules/main.mjs), or "". Each candidate may be
// the package itself or a directory above node_modules/jsroot (such as the
// repository's tools/jsroot).
func FindJSROOT(candidates ...string) string {
	for _, c := range candidates {
		if c == "" {
			continue
		}
		for _, d := range []string{c, filepath.Join(c, "node_modules", "jsroot"), filepath.Join(c, "tools", "jsroot", "node_modules", "jsroot")} {
			if st, err := os.Stat(filepath.Join(d, "modules", "main.mjs")); err == nil && !st.IsDir() {
				abs, err := filepath.Abs(d)
				if err != nil {
					return d
				}
				return abs
			}
		}
	}
	return ""
}

// ThresholdLister lists the check thresholds of a subsystem as processing
// options named by quality.OptionName ("quality.<check>.<parameter>").
type ThresholdLister interface {
	ThresholdOptions(sys string) ([]overwatch.OptionSpec, error)
}
