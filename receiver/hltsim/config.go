// Package hltsim simulates the ALICE HLT ROOT mergers (ZMQROOTmerger) that
// Overwatch's HLT receivers talk to: one merger per subsystem, each on its
// own ZeroMQ endpoint, answering CONFIG requests with the G4 wire format
// byte for byte (80-byte topics, a little-endian TMessage length word, the
// serialization field set, ROOTSTRI first when asked, INFO, then one
// TMessage per object in ascending name order).
//
// The histograms come from receiver/hltsim/generator: realistic EMC, TPC
// (TH3D included) and HLT histograms growing cumulatively while a run is
// live. Runs start and end on a simulated clock that runs Speed times faster
// than the wall clock; after a run the merger keeps serving the last content
// for a while (as production mergers did until the run-control reset them),
// then answers with run 0 and no objects until the next run starts. The
// merger honours the one-shot options select, unselect, list,
// ResetOnRequest and SchemaOnRequest (real TStreamerInfo) and the
// persistent ones reset, ResetOnSend, SchemaOnSend and AllowResetOnRequest;
// knobs inject hot channels, drifts and dead periods.
//
// The simulator listens with go-zeromq/zmq4 ROUTER sockets (zmq4's REP socket
// mishandles the receiver's request, which ends with an empty frame). zmq4
// trusts the frame sizes a peer announces, so listen only on trusted
// networks (the default is 127.0.0.1). Two libzmq REQ peers without an
// explicit identity on the same endpoint share zmq4's empty routing
// identity; give each receiver its own merger endpoint, as production did.
package hltsim

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
)

// HotChannel injects extra hits into one channel of a 1-D histogram (a
// FastOR ID on "EMCTRQA_histFastORL0", for example).
type HotChannel struct {
	Subsystem, Hist string
	ID              int
	RatePerEvent    float64
}

// Drift moves a histogram's distribution by PerSecond x-axis units per
// second of run time.
type Drift struct {
	Subsystem, Hist string
	PerSecond       float64
}

// Config configures a Server.
type Config struct {
	// Listen holds one endpoint per subsystem, in the order of Subsystems
	// (see ParseListen). Default: tcp://127.0.0.1:60321 and following ports.
	Listen []string
	// Subsystems are the simulated mergers (default EMC, TPC, HLT).
	Subsystems []string
	// Speed is the number of simulated seconds per wall-clock second
	// (default 1): 60 makes a one-hour run last one minute.
	Speed float64
	// Seed makes the histograms reproducible.
	Seed uint64
	// EventsPerSecond is the simulated event rate (default 100).
	EventsPerSecond float64
	// EMCHistograms grows the EMC set to that many histograms (e.g. 500).
	EMCHistograms int
	// FirstRun is the number of the first run (default 290000); runs are
	// numbered consecutively.
	FirstRun int
	// RunDuration is the simulated length of a run (default 1 h).
	RunDuration time.Duration
	// StaleDuration is how long after the end of a run the mergers keep
	// serving its last content under its run number (default 2 min; the
	// receiver's duplicate suppression skips these replies).
	StaleDuration time.Duration
	// GapDuration is the simulated time between the end of the stale
	// period and the next run, during which the mergers answer with run 0
	// and no objects (default 3 min).
	GapDuration time.Duration
	// Mode and BeamType go into the INFO string (default "B" and "p-p").
	Mode, BeamType string
	// HotChannels, Drifts and DeadPeriods are applied at the start of
	// every run (dead periods are measured from the start of the run).
	HotChannels []HotChannel
	Drifts      []Drift
	DeadPeriods []generator.DeadPeriod
	// DeadRegions are regions of channels that stop recording at a time
	// of every run (or of every Every-th run).
	DeadRegions []generator.DeadRegion
	// DisallowResetOnRequest ignores -ResetOnRequest (the merger's
	// AllowResetOnRequest=0).
	DisallowResetOnRequest bool
	// BigEndianLength writes the TMessage length word big-endian (a stock
	// ROOT TMessage) instead of little-endian (the AliRoot-built merger).
	BigEndianLength bool
	// CompressStreamers sends the ROOTSTRI message zlib-compressed
	// (kMESS_ZIP), as the HLT chain's components do; the G4 merger sends it
	// uncompressed.
	CompressStreamers bool
	// Logger receives the simulator's log (default slog.Default()).
	Logger *slog.Logger
	// Now is the wall clock (default time.Now); tests may fake it.
	Now func() time.Time
}

// Defaults of Config.
const (
	DefaultBasePort      = 60321
	DefaultFirstRun      = 290000
	DefaultRunDuration   = time.Hour
	DefaultStaleDuration = 2 * time.Minute
	DefaultGapDuration   = 3 * time.Minute
)

// DefaultSubsystems are the mergers simulated by default.
var DefaultSubsystems = []string{"EMC", "TPC", "HLT"}

func (c *Config) setDefaults() error {
	if len(c.Subsystems) == 0 {
		c.Subsystems = append([]string(nil), DefaultSubsystems...)
	}
	if len(c.Listen) == 0 {
		l, err := ParseListen(fmt.Sprintf("tcp://127.0.0.1:%d", DefaultBasePort), len(c.Subsystems))
		if err != nil {
			return err
		}
		c.Listen = l
	}
	if len(c.Listen) != len(c.Subsystems) {
		return fmt.Errorf("hltsim: %d endpoints for %d subsystems (want one per subsystem)", len(c.Listen), len(c.Subsystems))
	}
	if c.Speed <= 0 {
		c.Speed = 1
	}
	if c.FirstRun <= 0 {
		c.FirstRun = DefaultFirstRun
	}
	if c.RunDuration <= 0 {
		c.RunDuration = DefaultRunDuration
	}
	if c.StaleDuration < 0 {
		c.StaleDuration = 0
	} else if c.StaleDuration == 0 {
		c.StaleDuration = DefaultStaleDuration
	}
	if c.GapDuration <= 0 {
		c.GapDuration = DefaultGapDuration
	}
	if c.Mode == "" {
		c.Mode = "B"
	}
	if c.BeamType == "" {
		c.BeamType = "p-p"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// ParseListen expands a --listen value into one endpoint per merger:
//   - a comma-separated list of n endpoints is used as is;
//   - one tcp endpoint with port P gives ports P, P+1, ... P+n-1 (a base
//     port, like the production mergers' consecutive ports);
//   - one tcp endpoint with port 0 gives n endpoints with port 0, each
//     bound to a free port (see Server.Endpoints);
//   - one ipc endpoint ipc://PATH gives ipc://PATH.<i> for n > 1.
//
// AliZMQhelpers prefixes ("ROUTER@", "REP@", "@") are accepted and dropped.
func ParseListen(spec string, n int) ([]string, error) {
	if n <= 0 {
		return nil, fmt.Errorf("hltsim: no subsystems to listen for")
	}
	var eps []string
	for _, e := range strings.Split(spec, ",") {
		e = strings.TrimSpace(e)
		if i := strings.Index(e, "@"); i >= 0 && !strings.Contains(e[:i], "://") {
			e = e[i+1:]
		}
		if e == "" {
			return nil, fmt.Errorf("hltsim: empty endpoint in %q", spec)
		}
		eps = append(eps, e)
	}
	if len(eps) > 1 {
		if len(eps) != n {
			return nil, fmt.Errorf("hltsim: %d endpoints in %q for %d subsystems", len(eps), spec, n)
		}
		for _, e := range eps {
			if err := checkEndpoint(e); err != nil {
				return nil, err
			}
		}
		return eps, nil
	}
	e := eps[0]
	if err := checkEndpoint(e); err != nil {
		return nil, err
	}
	if n == 1 {
		return eps, nil
	}
	if strings.HasPrefix(e, "ipc://") {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s.%d", e, i)
		}
		return out, nil
	}
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(e, "tcp://"))
	p, _ := strconv.Atoi(port)
	out := make([]string, n)
	for i := range out {
		q := p
		if p != 0 {
			q = p + i
		}
		if q > 65535 {
			return nil, fmt.Errorf("hltsim: base port %d leaves no room for %d mergers", p, n)
		}
		out[i] = "tcp://" + net.JoinHostPort(host, strconv.Itoa(q))
	}
	return out, nil
}

func checkEndpoint(e string) error {
	switch {
	case strings.HasPrefix(e, "tcp://"):
		_, port, err := net.SplitHostPort(strings.TrimPrefix(e, "tcp://"))
		if err != nil {
			return fmt.Errorf("hltsim: endpoint %q: want tcp://HOST:PORT: %w", e, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("hltsim: endpoint %q: bad port %q", e, port)
		}
		return nil
	case strings.HasPrefix(e, "ipc://") && len(e) > len("ipc://"):
		return nil
	}
	return fmt.Errorf("hltsim: endpoint %q: want tcp://HOST:PORT or ipc://PATH (zmq4's inproc is unusable here)", e)
}
