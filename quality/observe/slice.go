package observe

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// ThresholdOptions returns the check thresholds a time slice of the
// subsystem may override: every parameter of every check of its
// configuration (and of its detector's checks declared for no particular
// histogram set), as processing options named by quality.OptionName,
// defaulting to the configured value. A check configured wrongly is an
// error.
func (ob *Observer) ThresholdOptions(sys string) ([]overwatch.OptionSpec, error) {
	specs, _ := ob.specs(sys, 0, nil)
	return quality.Options(specs)
}

// ThresholdKey is the name of a check threshold in slice requests,
// "<check name>.<parameter>", for the processing option name of
// quality.OptionName.
func ThresholdKey(option string) string { return strings.TrimPrefix(option, quality.OptionPrefix) }

// ParseThresholds implements timeslice.Checks: it validates raw
// check-threshold overrides ("<check name>.<parameter>" → text) against the
// subsystem's checks — the check and the parameter must exist, the value
// parse and lie in range, and the checks build with it (e.g. PValueBad
// below PValueMedium) — and returns them as processing options named by
// quality.OptionName (only those given).
func (ob *Observer) ParseThresholds(sys string, raw map[string]string) (overwatch.Values, error) {
	specs, agg := ob.specs(sys, 0, nil)
	opts, err := quality.Options(specs)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]overwatch.OptionSpec, len(opts))
	for _, o := range opts {
		byName[o.Name] = o
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(overwatch.Values, len(raw))
	for _, k := range keys {
		o, ok := byName[quality.OptionPrefix+k]
		if !ok {
			return nil, fmt.Errorf("%s has no check threshold %q (%s)", sys, k, knownThresholds(opts))
		}
		v, err := o.Parse(raw[k])
		if err != nil {
			return nil, fmt.Errorf("check threshold %s: %w", k, err)
		}
		out[o.Name] = v
	}
	if _, err := quality.NewSuite(specs, out, agg); err != nil {
		return nil, err
	}
	return out, nil
}

func knownThresholds(opts []overwatch.OptionSpec) string {
	if len(opts) == 0 {
		return "the subsystem has no checks"
	}
	names := make([]string, 0, len(opts))
	for i, o := range opts {
		if i == 20 {
			names = append(names, fmt.Sprintf("… %d more", len(opts)-i))
			break
		}
		names = append(names, ThresholdKey(o.Name))
	}
	return "thresholds: " + strings.Join(names, ", ")
}

// CheckSlice implements processing.SliceChecker: the subsystem's checks on
// a time slice's histograms, thresholds overridden by the slice's
// (processing options named by quality.OptionName), with references and
// confirmed bad channels as for the run, but recording nothing — no flags,
// alarm, bad-channel proposal or trend point. It returns the verdicts as
// information-panel lines and the aggregated quality.
func (ob *Observer) CheckSlice(ctx context.Context, sys string, run int, hists map[string]*overwatch.Hist, thresholds overwatch.Values) (map[string][]overwatch.InfoItem, overwatch.Quality, string, error) {
	names := make([]string, 0, len(hists))
	for n := range hists {
		names = append(names, n)
	}
	sort.Strings(names)
	specs, agg := ob.specs(sys, run, names)
	s, err := quality.NewSuite(specs, thresholds, agg)
	if err != nil {
		return nil, overwatch.QualityNull, "", fmt.Errorf("quality: %s: %w", sys, err)
	}
	if s.Len() == 0 {
		return nil, overwatch.QualityNull, "", nil
	}
	var bad *quality.BadChannels
	if ob.o.BadChannels != nil {
		if bad, _, err = readBadChannels(ctx, ob.o.BadChannels, sys); err != nil {
			return nil, overwatch.QualityNull, "", fmt.Errorf("quality: %s bad channels: %w", sys, err)
		}
	}
	// A reference that cannot be read is said in the panels (errors
	// ignored here): the slice is still shown.
	info, qs, worst, _, _ := ob.runSuite(ctx, s, sys, run, names, hists, bad)
	if len(thresholds) > 0 {
		for n, lines := range info {
			info[n] = append(lines, overwatch.InfoItem{Label: ThresholdsLabel, Value: thresholdText(thresholds)})
		}
	}
	if len(qs) == 0 {
		return info, overwatch.QualityNull, "", nil
	}
	q, reason := s.Aggregate(qs)
	if len(worst) > 0 {
		reason += ": " + strings.Join(worst, "; ")
	}
	return info, q, reason, nil
}

// ThresholdsLabel is the information-panel label listing the check
// thresholds a time slice overrode.
const ThresholdsLabel = "Check thresholds of this slice"

func thresholdText(v overwatch.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s = %v", ThresholdKey(k), v[k])
	}
	return strings.Join(parts, ", ")
}
