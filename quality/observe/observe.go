// Package observe runs the data-quality checks on every processed snapshot:
// it is a processing observer (chained in front of trending) that builds
// each subsystem's check suite from its detector's Checker hook and the
// configuration, runs it on the processed histograms, puts each check's
// verdict into the histogram's information panel, aggregates the
// subsystem's quality, keeps its time-based flags, and fires an alarm
// through trending's lifecycle when the subsystem stays Bad for N
// consecutive snapshots.
package observe

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// Next is the observer the quality observer hands the snapshot on to (the
// shape of processing.Observer, e.g. a trending.Manager).
type Next interface {
	Observe(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error)
	EndCycle(ctx context.Context)
}

// Reporter moves an alarm through its lifecycle (trending.Manager.Report).
type Reporter interface {
	Report(ctx context.Context, sys, name, alarm, hist string, on bool, msg string, run int, at time.Time) error
}

// The alarm the observer raises: sys/AlarmTrend/AlarmName.
const (
	AlarmTrend = "quality"
	AlarmName  = "Bad"
)

// InfoLabel prefixes the information-panel labels of check verdicts
// ("Quality <check>").
const InfoLabel = "Quality "

// Options configure an Observer.
type Options struct {
	// Configs are the quality sections of the configuration, by subsystem;
	// a configured check named like one of the detector's replaces it.
	Configs map[string]quality.Config
	// Next receives every snapshot after the checks (nil: none).
	Next Next
	// Alarms raises and resolves the subsystem alarm (nil: no alarm).
	Alarms Reporter
	// AlarmAfter is the number of consecutive Bad snapshots of a subsystem
	// that fires the alarm (3 when 0).
	AlarmAfter int
	// MaxFlags bounds the verdicts kept per subsystem and run for the
	// time-based flags (10,000 when 0; the oldest are dropped).
	MaxFlags int
	// References gives the comparing checks their reference histogram
	// (nil: none, those checks are Null "no reference histogram"); the
	// reference used is shown in the information panel.
	References References
	// Flags stores every snapshot's aggregated quality and the run's
	// time-based flags as a document of kind quality.FlagsKind per run and
	// subsystem (nil: kept in memory only).
	Flags FlagStore
	// BadChannels keeps the subsystems' bad-channel lists (documents of
	// kind quality.BadChannelsKind): the channels DeadChannels and
	// HotChannels find are proposed there, and the confirmed ones are
	// excluded from the checks (nil: no list).
	BadChannels FlagStore
	// Trends receives, per snapshot of a subsystem with a bad-channel
	// list, the points of the trends BadChannelsTrend (confirmed) and
	// ProposedChannelsTrend (nil: none).
	Trends TrendWriter
}

// TrendWriter stores trend points (overwatch.TrendStore's write).
type TrendWriter interface {
	PutTrendPoints(ctx context.Context, pts []overwatch.TrendPoint) error
}

// The trends of the bad-channel counts.
const (
	BadChannelsTrend      = "badChannels"
	ProposedChannelsTrend = "proposedBadChannels"
)

// BadChannelsLabel is the information-panel label saying how many
// confirmed bad channels of a histogram were masked.
const BadChannelsLabel = "Bad channels"

// ReferenceLabel is the information-panel label naming the reference a
// histogram was compared with.
const ReferenceLabel = "Reference"

// Observer is a processing observer running the quality checks. It is safe
// for concurrent use.
type Observer struct {
	o Options

	mu     sync.Mutex
	suites map[string]suiteCache        // by subsystem
	state  map[string]*subsystemState   // by subsystem
	runs   map[runKey][]quality.Verdict // verdicts by subsystem and run
}

type suiteCache struct {
	key   string
	suite *quality.Suite
	err   error
}

type runKey struct {
	sys string
	run int
}

type subsystemState struct {
	streak  int
	last    Summary
	lastRun int
	lastAt  time.Time
}

// Summary is a subsystem's aggregated quality for its latest snapshot.
type Summary struct {
	Run     int               `json:"run"`
	Time    time.Time         `json:"time"`
	Quality overwatch.Quality `json:"quality"`
	Reason  string            `json:"reason"`
	// BadStreak is the number of consecutive Bad snapshots so far.
	BadStreak int `json:"badStreak"`
}

// New validates the configuration and returns an Observer.
func New(o Options) (*Observer, error) {
	for sys, c := range o.Configs {
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("quality.%s: %w", sys, err)
		}
	}
	if o.AlarmAfter <= 0 {
		o.AlarmAfter = 3
	}
	if o.MaxFlags <= 0 {
		o.MaxFlags = 10000
	}
	return &Observer{o: o, suites: map[string]suiteCache{}, state: map[string]*subsystemState{}, runs: map[runKey][]quality.Verdict{}}, nil
}

// suite returns the subsystem's suite for a set of histograms, rebuilt
// when the histogram set changes (the detector's checks may depend on it).
func (ob *Observer) suite(sys string, run int, names []string) (*quality.Suite, error) {
	det := overwatch.DetectorFor(sys)
	checker, _ := det.(overwatch.Checker)
	key := sys
	if checker != nil {
		key = sys + "\x00" + strings.Join(names, "\x00")
	}
	ob.mu.Lock()
	c, ok := ob.suites[sys]
	ob.mu.Unlock()
	if ok && c.key == key {
		return c.suite, c.err
	}
	specs, agg := ob.specs(sys, run, names)
	s, err := quality.NewSuite(specs, nil, agg)
	ob.mu.Lock()
	ob.suites[sys] = suiteCache{key: key, suite: s, err: err}
	ob.mu.Unlock()
	return s, err
}

// specs returns the checks of a subsystem for a set of histograms (its
// detector's, with the configured ones merged in) and its aggregation rule.
func (ob *Observer) specs(sys string, run int, names []string) ([]overwatch.CheckSpec, quality.Aggregator) {
	cfg := ob.o.Configs[sys]
	var specs []overwatch.CheckSpec
	if checker, ok := overwatch.DetectorFor(sys).(overwatch.Checker); ok {
		v := &overwatch.View{Run: run, Subsystem: sys, Source: sys}
		for _, n := range names {
			v.Hists = append(v.Hists, overwatch.HistDesc{Name: n})
		}
		specs = append(specs, checker.Checks(v)...)
	}
	return mergeSpecs(specs, cfg.Checks), cfg.Aggregation
}

// mergeSpecs returns the detector's specs with those of the configuration:
// a configured check with the ID of a detector's check replaces it (an
// expert changes a threshold without a code change), the others are
// added.
func mergeSpecs(det, cfg []overwatch.CheckSpec) []overwatch.CheckSpec {
	out := append([]overwatch.CheckSpec(nil), det...)
	for _, c := range cfg {
		replaced := false
		for i := range out {
			if out[i].ID() == c.ID() {
				out[i], replaced = c, true
				break
			}
		}
		if !replaced {
			out = append(out, c)
		}
	}
	return out
}

// Observe runs the checks on the processed histograms, returns their
// verdicts as information-panel lines (merged with those of Next), updates
// the subsystem's quality, flags and alarm, and hands the snapshot to Next.
func (ob *Observer) Observe(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error) {
	var errs []error
	info, err := ob.check(ctx, sys, snap, run, hists)
	if err != nil {
		errs = append(errs, err)
	}
	if ob.o.Next != nil {
		more, err := ob.o.Next.Observe(ctx, sys, snap, run, hists)
		if err != nil {
			errs = append(errs, err)
		}
		for name, lines := range more {
			if info == nil {
				info = map[string][]overwatch.InfoItem{}
			}
			info[name] = append(info[name], lines...)
		}
	}
	return info, errors.Join(errs...)
}

func (ob *Observer) check(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, hists map[string]*overwatch.Hist) (map[string][]overwatch.InfoItem, error) {
	names := make([]string, 0, len(hists))
	for n := range hists {
		names = append(names, n)
	}
	sort.Strings(names)
	s, err := ob.suite(sys, run, names)
	if err != nil {
		return nil, fmt.Errorf("quality: %s: %w", sys, err)
	}
	if s.Len() == 0 {
		return nil, nil
	}
	var bad *quality.BadChannels
	var errs []error
	if ob.o.BadChannels != nil {
		var err error
		if bad, _, err = readBadChannels(ctx, ob.o.BadChannels, sys); err != nil {
			errs = append(errs, fmt.Errorf("quality: %s bad channels: %w", sys, err))
		}
	}
	info, qs, worst, proposals, rerr := ob.runSuite(ctx, s, sys, run, names, hists, bad)
	errs = append(errs, rerr...)
	if len(proposals) > 0 {
		if err := proposeBadChannels(ctx, ob.o.BadChannels, sys, run, snap.Time, bad, proposals); err != nil {
			errs = append(errs, fmt.Errorf("quality: %s bad channels: %w", sys, err))
		}
	}
	if ob.o.Trends != nil && bad != nil && (len(bad.Channels) > 0 || len(proposals) > 0) {
		confirmed, proposed := bad.Count()
		if len(proposals) > 0 { // count what this snapshot proposed too
			probe := &quality.BadChannels{Subsystem: sys, Channels: append([]quality.Channel(nil), bad.Channels...)}
			for _, p := range proposals {
				probe.Propose(p.h, p.r, run, snap.Time)
			}
			confirmed, proposed = probe.Count()
		}
		pts := []overwatch.TrendPoint{
			{Subsystem: sys, Trend: BadChannelsTrend, Run: run, Time: snap.Time, Seq: snap.Seq, Value: float64(confirmed)},
			{Subsystem: sys, Trend: ProposedChannelsTrend, Run: run, Time: snap.Time, Seq: snap.Seq, Value: float64(proposed)},
		}
		if err := ob.o.Trends.PutTrendPoints(ctx, pts); err != nil {
			errs = append(errs, fmt.Errorf("quality: %s bad-channel trend: %w", sys, err))
		}
	}
	if len(qs) == 0 {
		return nil, errors.Join(errs...)
	}
	q, reason := s.Aggregate(qs)
	errs = append(errs, ob.record(ctx, sys, snap, run, q, reason, worst))
	return info, errors.Join(errs...)
}

// runSuite runs a suite on the histograms (names sorted), with their
// references and bad-channel masks: the information-panel lines per
// histogram, every outcome's quality, the reasons of the first Bad ones,
// the channels proposed as bad, and the errors met.
func (ob *Observer) runSuite(ctx context.Context, s *quality.Suite, sys string, run int, names []string, hists map[string]*overwatch.Hist, bad *quality.BadChannels) (
	info map[string][]overwatch.InfoItem, qs []overwatch.Quality, worst []string, proposals []proposal, errs []error) {
	info = map[string][]overwatch.InfoItem{}
	for _, n := range names {
		var ref *overwatch.Hist
		var about string
		if ob.o.References != nil && s.NeedsReference(n) {
			var err error
			if ref, about, err = ob.o.References.Reference(ctx, sys, run, n); err != nil {
				if len(errs) < 3 {
					errs = append(errs, fmt.Errorf("quality: %s %s: %w", sys, n, err))
				}
				about = "reference unavailable: " + err.Error()
			}
		}
		masked := bad.Confirmed(n)
		outs := s.RunExcluding(n, hists[n], ref, masked)
		if len(outs) == 0 {
			continue
		}
		lines := make([]overwatch.InfoItem, 0, len(outs)+2)
		if about != "" {
			lines = append(lines, overwatch.InfoItem{Label: ReferenceLabel, Value: about})
		}
		if len(masked) > 0 {
			lines = append(lines, overwatch.InfoItem{Label: BadChannelsLabel, Value: fmt.Sprintf("%d confirmed bad channels masked and excluded", len(masked))})
		}
		if ob.o.BadChannels != nil {
			for _, o := range outs {
				if (o.Check == "DeadChannels" || o.Check == "HotChannels") && len(o.Bins) > 0 {
					proposals = append(proposals, proposal{h: hists[n], r: o.Result})
				}
			}
		}
		for _, o := range outs {
			lines = append(lines, overwatch.InfoItem{Label: InfoLabel + o.ID, Value: o.Quality.String() + ": " + o.Reason})
			qs = append(qs, o.Quality)
			if o.Quality == overwatch.QualityBad && len(worst) < 3 {
				worst = append(worst, n+" "+o.ID+": "+o.Reason)
			}
		}
		info[n] = lines
	}
	return info, qs, worst, proposals, errs
}

// record updates the subsystem's summary, flags and alarm.
func (ob *Observer) record(ctx context.Context, sys string, snap overwatch.SnapshotInfo, run int, q overwatch.Quality, reason string, worst []string) error {
	ob.mu.Lock()
	st := ob.state[sys]
	if st == nil {
		st = &subsystemState{}
		ob.state[sys] = st
	}
	if st.lastRun != run {
		st.streak, st.lastAt = 0, time.Time{}
	}
	if !snap.Time.After(st.lastAt) && !st.lastAt.IsZero() {
		ob.mu.Unlock()
		return nil // an older or the same snapshot reprocessed: the state moves forward only
	}
	switch q {
	case overwatch.QualityBad:
		st.streak++
	case overwatch.QualityNull:
	default:
		st.streak = 0
	}
	from := st.lastAt
	if from.IsZero() {
		from = snap.Time
	}
	k := runKey{sys, run}
	if snap.Time.After(from) {
		vs := append(ob.runs[k], quality.Verdict{Start: from, End: snap.Time, Quality: q, Reason: reason})
		if len(vs) > ob.o.MaxFlags {
			vs = vs[len(vs)-ob.o.MaxFlags:]
		}
		ob.runs[k] = vs
	}
	st.lastRun, st.lastAt = run, snap.Time
	st.last = Summary{Run: run, Time: snap.Time, Quality: q, Reason: reason, BadStreak: st.streak}
	streak := st.streak
	ob.mu.Unlock()

	var flagErr error
	if ob.o.Flags != nil {
		if err := storeFlags(ctx, ob.o.Flags, sys, run, snap.Time, q, reason); err != nil {
			flagErr = fmt.Errorf("quality: %s run %d flags: %w", sys, run, err)
		}
	}
	if ob.o.Alarms == nil || q == overwatch.QualityNull {
		return flagErr
	}
	fire := q == overwatch.QualityBad && streak >= ob.o.AlarmAfter
	msg := ""
	if fire {
		msg = fmt.Sprintf("%s quality Bad for %d consecutive snapshots (%s): %s", sys, streak, reason, strings.Join(worst, "; "))
	}
	if err := ob.o.Alarms.Report(ctx, sys, AlarmTrend, AlarmName, "", fire, msg, run, snap.Time); err != nil {
		return errors.Join(flagErr, fmt.Errorf("quality: %s alarm: %w", sys, err))
	}
	return flagErr
}

// Summary returns the latest aggregated quality of a subsystem.
func (ob *Observer) Summary(sys string) (Summary, bool) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	st, ok := ob.state[sys]
	if !ok {
		return Summary{}, false
	}
	return st.last, true
}

// Flags returns the time-based quality flags of a subsystem over [start,
// end) of a run from the snapshots observed (each snapshot's verdict covers
// the time since the previous snapshot).
func (ob *Observer) Flags(sys string, run int, start, end time.Time) []quality.Flag {
	ob.mu.Lock()
	vs := append([]quality.Verdict(nil), ob.runs[runKey{sys, run}]...)
	ob.mu.Unlock()
	return quality.TimeFlags(start, end, vs)
}

// EndCycle hands the end of a processing cycle to Next.
func (ob *Observer) EndCycle(ctx context.Context) {
	if ob.o.Next != nil {
		ob.o.Next.EndCycle(ctx)
	}
}
