package processing

import (
	"context"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

var _ timeslice.Renderer = (*Processor)(nil)

// RenderSlice implements timeslice.Renderer: it processes a time slice's
// data with the subsystem's detector functions and writes its outputs under
// the slice key (ProcessFile with Target.Slice set), never touching the
// full run's outputs, and without telling the Observer; the checks run
// with the request's thresholds when Options.SliceChecks is set.
func (p *Processor) RenderSlice(ctx context.Context, f *overwatch.File, r timeslice.RenderRequest) (timeslice.Rendered, error) {
	res, err := p.ProcessFile(ctx, f, Target{Run: r.Run, Subsystem: r.Subsystem, Source: r.Source, Slice: r.Key,
		Snapshot: r.Later, From: r.Earlier, Options: r.Options, Thresholds: r.Thresholds})
	return timeslice.Rendered{Hists: res.Hists, NEvents: res.NEvents, Quality: res.Quality, QualityReason: res.QualityReason}, err
}
