package processing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/render"
	"github.com/overwatch-dqm/overwatch/store/bundle"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// Target says where ProcessFile writes and what it knows about the input.
type Target struct {
	// Run, Subsystem and Source identify the subsystem view (Source is the
	// subsystem whose files fed it; Subsystem when empty).
	Run       int
	Subsystem string
	Source    string
	// Slice is the time-slice key the outputs are written under; "" for
	// full-run processing.
	Slice string
	// Snapshot is the (newest) snapshot the file was built from, From the
	// snapshot subtracted from it for a time slice (nil otherwise).
	Snapshot overwatch.SnapshotInfo
	From     *overwatch.SnapshotInfo
	// Options are the processing options; nil means the detector's
	// declared defaults.
	Options overwatch.Values
	// Skipped lists corrupted snapshots newer than Snapshot, recorded in
	// the view so that they are not retried.
	Skipped []overwatch.SnapshotDoc
	// Thresholds override check thresholds of a time slice (see
	// Options.SliceChecks; names by quality.OptionName).
	Thresholds overwatch.Values
}

// Result summarises one ProcessFile call.
type Result struct {
	// Hists is the number of histograms processed (written outputs).
	Hists int
	// NEvents is the number of events used.
	NEvents float64
	// Errors counts histograms with a failed step (function, JSON or PNG).
	Errors int
	// Quality and QualityReason are, for a time slice, the subsystem's
	// quality by its checks (Options.SliceChecks).
	Quality       overwatch.Quality
	QualityReason string
}

// processed is the outcome of processing one plan item.
type processed struct {
	it      *planItem
	hist    *overwatch.Hist
	stack   []*overwatch.Hist
	hints   overwatch.Hints
	skip    bool // source missing: nothing written
	jsonErr error
	members []bundle.Member // JSON, hints (and PNG) of the bundle
}

func snapDoc(s overwatch.SnapshotInfo) overwatch.SnapshotDoc {
	d := overwatch.SnapshotDoc{Seq: s.Seq, Path: s.Path}
	if !s.Time.IsZero() {
		d.Time = s.Time.Unix()
	}
	return d
}

// ProcessFile processes a decoded snapshot (or time-slice result) for one
// subsystem of a run and writes its outputs under t.Slice: the hook plan of
// the subsystem's detector, the functions on every histogram (in parallel),
// the JSROOT JSON, hints and PNG of every histogram and the view. The full
// run's outputs are only touched when t.Slice is "". The Observer is called
// for full-run processing only.
func (p *Processor) ProcessFile(ctx context.Context, f *overwatch.File, t Target) (Result, error) {
	if f == nil {
		return Result{}, errors.New("processing: ProcessFile: nil file")
	}
	if !overwatch.ValidSubsystem(t.Subsystem) {
		return Result{}, fmt.Errorf("processing: ProcessFile: invalid subsystem %q", t.Subsystem)
	}
	if t.Source == "" {
		t.Source = t.Subsystem
	}
	opts := t.Options
	if opts == nil {
		opts = overwatch.DefaultValues(overwatch.DetectorOptions(t.Subsystem))
	}
	log := p.log.With("run", t.Run, "subsystem", t.Subsystem)
	if t.Slice != "" {
		log = log.With("slice", t.Slice)
	}

	hists, names := timeslice.FileHists(f)
	descs := make([]overwatch.HistDesc, len(names))
	for i, n := range names {
		descs[i] = overwatch.HistDesc{Name: n, Class: hists[n].Class}
	}
	nEvents := nEventsOf(hists, names)

	v := &overwatch.View{Run: t.Run, Subsystem: t.Subsystem, Source: t.Source, Hists: descs}
	var pl *plan
	if t.Slice == "" {
		pl = p.plans.get(fmt.Sprintf("%d/%s", t.Run, t.Subsystem), v)
	} else {
		pl = buildPlan(v, "")
	}

	snap := snapDoc(t.Snapshot)
	var from *overwatch.SnapshotDoc
	if t.From != nil {
		d := snapDoc(*t.From)
		from = &d
	}

	// Functions, in parallel.
	results := make([]*processed, len(pl.items))
	p.parallel(ctx, len(pl.items), func(i int) {
		results[i] = p.runItem(pl, pl.items[i], hists, opts, nEvents, t, snap, log)
	})
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	// Trending observer: full-run processing only; the checks of a slice.
	var sliceQ overwatch.Quality
	var sliceReason string
	if obs := observed(results); t.Slice == "" && p.opts.Observer != nil {
		extra, err := p.observe(ctx, t, obs)
		if err != nil {
			log.Warn("trending observer failed; outputs written without alarm texts", "err", err)
		}
		addInfo(results, extra)
	} else if t.Slice != "" && p.opts.SliceChecks != nil {
		extra, q, reason, err := p.opts.SliceChecks.CheckSlice(ctx, t.Subsystem, t.Run, obs, t.Thresholds)
		if err != nil {
			return Result{}, fmt.Errorf("processing: checks of the time slice: %w", err)
		}
		addInfo(results, extra)
		sliceQ, sliceReason = q, reason
	}

	// JSON and hints, in parallel, as bundle members.
	var nErr int
	var mu sync.Mutex
	var firstErr error
	p.parallel(ctx, len(results), func(i int) {
		r := results[i]
		if r.skip {
			return
		}
		err := encodeMembers(r)
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if len(r.hints.Errors) > 0 {
			nErr++
		}
	})
	if firstErr != nil {
		return Result{}, firstErr
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}

	view := buildView(pl, results, t, snap, from, nEvents, opts)
	eager := p.opts.PNG == PNGEager && !p.opts.NoPNG
	view.Complete = !eager
	if err := p.putBundle(ctx, t, view, results); err != nil {
		return Result{}, err
	}

	// Eager PNGs: the lower-priority pass, once JSON and hints are visible;
	// the bundle is written again with them.
	if eager {
		p.parallel(ctx, len(results), func(i int) {
			r := results[i]
			if r.skip {
				return
			}
			img, err := p.renderPNG(r)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("PNG not rendered", "hist", r.it.desc.Name, "err", err)
				}
				return
			}
			r.members = append(r.members, bundle.NewMember(bundle.MemberName(overwatch.OutputPNG, r.it.desc.Name), img))
		})
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		view.Complete = true
		if err := p.putBundle(ctx, t, view, results); err != nil {
			return Result{}, err
		}
	}
	n := 0
	for _, r := range results {
		if !r.skip {
			n++
		}
	}
	return Result{Hists: n, NEvents: nEvents, Errors: nErr, Quality: sliceQ, QualityReason: sliceReason}, nil
}

// observed returns the processed histograms by name (the members of
// stacks by their own names), as observers and checks get them.
func observed(results []*processed) map[string]*overwatch.Hist {
	obs := make(map[string]*overwatch.Hist, len(results))
	for _, r := range results {
		if r.skip {
			continue
		}
		if r.stack != nil {
			for i, m := range r.it.stack.Members {
				obs[m] = r.stack[i]
			}
			continue
		}
		obs[r.it.desc.Name] = r.hist
	}
	return obs
}

// addInfo merges information-panel lines into the results' hints.
func addInfo(results []*processed, extra map[string][]overwatch.InfoItem) {
	for _, r := range results {
		if lines, ok := extra[r.it.desc.Name]; ok && !r.skip {
			r.hints.Info = mergeInfo(r.hints.Info, lines)
		}
	}
}

func (p *Processor) observe(ctx context.Context, t Target, hists map[string]*overwatch.Hist) (extra map[string][]overwatch.InfoItem, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("observer panicked: %v", r)
		}
	}()
	return p.opts.Observer.Observe(ctx, t.Subsystem, t.Snapshot, t.Run, hists)
}

// mergeInfo appends lines to an information panel, replacing lines with
// the same label.
func mergeInfo(info []overwatch.InfoItem, lines []overwatch.InfoItem) []overwatch.InfoItem {
	out := append([]overwatch.InfoItem(nil), info...)
next:
	for _, l := range lines {
		for i := range out {
			if out[i].Label == l.Label {
				out[i].Value = l.Value
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// parallel runs fn(0..n-1) on a bounded pool of workers (Options.Workers).
func (p *Processor) parallel(ctx context.Context, n int, fn func(i int)) {
	workers := p.opts.Workers
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n && ctx.Err() == nil; i++ {
			fn(i)
		}
		return
	}
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// runItem clones or derives the histogram of one plan item, sets its
// default display and runs its functions. A failing or panicking function is
// recorded in the hints and the following functions still run.
func (p *Processor) runItem(pl *plan, it *planItem, hists map[string]*overwatch.Hist, opts overwatch.Values, nEvents float64, t Target, snap overwatch.SnapshotDoc, log *slog.Logger) *processed {
	r := &processed{it: it}
	var errs []string
	switch it.kind {
	case kindFile:
		h := hists[it.desc.Name]
		if h == nil {
			r.skip = true
			return r
		}
		r.hist = h.Clone()
	case kindDerived:
		src := make([]*overwatch.Hist, 0, len(it.derived.Sources))
		for _, s := range it.derived.Sources {
			h := hists[s]
			if h == nil {
				log.Info("derived histogram skipped: source missing", "hist", it.desc.Name, "source", s)
				r.skip = true
				return r
			}
			src = append(src, h.Clone())
		}
		h, err := safeDerive(it.derived, src, opts)
		if err != nil || h == nil {
			if err == nil {
				err = errors.New("derive returned no histogram")
			}
			log.Warn("derived histogram not built", "hist", it.desc.Name, "err", err)
			r.skip = true
			return r
		}
		h.Name = it.desc.Name
		r.hist = h
	case kindStack:
		for _, m := range it.stack.Members {
			h := hists[m]
			if h == nil {
				continue
			}
			r.stack = append(r.stack, h.Clone())
		}
		if len(r.stack) == 0 {
			r.skip = true
			return r
		}
		r.hist = r.stack[0]
	}

	// A fresh display for every histogram and every pass: nothing leaks
	// from one histogram (or one cycle) to the next.
	disp := &overwatch.Display{}
	if ds, ok := overwatch.DetectorFor(t.Subsystem).(overwatch.DisplaySetter); ok {
		func() {
			defer func() {
				if rec := recover(); rec != nil {
					errs = append(errs, fmt.Sprintf("SetDisplay: panic: %v", rec))
				}
			}()
			ds.SetDisplay(pl.view, it.desc, disp)
		}()
	}
	if it.kind == kindStack && !strings.Contains(strings.ToLower(disp.DrawOption), "nostack") {
		// Set on this pass's copy only, so it never accumulates.
		disp.DrawOption = strings.TrimSpace(disp.DrawOption + " nostack")
	}
	fc := &overwatch.FuncContext{
		Run: t.Run, Subsystem: t.Subsystem, Source: t.Source, Name: it.desc.Name,
		Hist: r.hist, Stack: r.stack, Display: disp, Options: opts.Clone(), NEvents: nEvents,
		Log: log.With("hist", it.desc.Name),
	}
	for _, fn := range it.funcs {
		if fn.Apply == nil {
			continue
		}
		if err := safeApply(fn, fc); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", fn.Name, err))
			fc.Log.Warn("function failed", "function", fn.Name, "err", err)
		}
	}
	if fc.Hist != nil && it.kind != kindStack {
		r.hist = fc.Hist
	}
	q, reasons := fc.Quality()
	pretty := disp.PrettyName
	if pretty == "" {
		pretty = it.desc.Name
	}
	var members []string
	if it.kind == kindStack {
		members = append(members, it.stack.Members...)
	}
	r.hints = overwatch.Hints{
		Name: it.desc.Name, PrettyName: pretty, Class: classOf(r), Group: pl.groups[it.group].Title,
		Display: *disp, Info: append([]overwatch.InfoItem(nil), fc.Info()...), Quality: q,
		QualityReasons: append([]string(nil), reasons...), Stack: members, NEvents: nEvents,
		Snapshot: snap, Errors: errs,
	}
	return r
}

func classOf(r *processed) string {
	if r.it.kind == kindStack {
		return overwatch.StackClass
	}
	if r.hist != nil {
		return r.hist.Class
	}
	return r.it.desc.Class
}

func safeDerive(d *overwatch.Derived, src []*overwatch.Hist, opts overwatch.Values) (h *overwatch.Hist, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return d.Derive(src, opts.Clone())
}

func safeApply(fn overwatch.Function, c *overwatch.FuncContext) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn.Apply(c)
}

// encodeMembers encodes the JSROOT JSON (when the encoder succeeds) and
// the hints of a processed histogram as its bundle members. A failing JSON
// encoder is recorded in the hints; only a hints encoding error is
// returned.
func encodeMembers(r *processed) error {
	name := r.it.desc.Name
	js, err := encodeObject(r)
	if err != nil {
		r.jsonErr = err
		r.hints.Errors = append(r.hints.Errors, "json: "+err.Error())
	} else {
		r.members = append(r.members, bundle.NewMember(bundle.MemberName(overwatch.OutputJSON, name), js))
	}
	hb, err := marshalDoc(r.hints)
	if err != nil {
		return fmt.Errorf("processing: encoding hints of %s: %w", name, err)
	}
	r.members = append(r.members, bundle.NewMember(bundle.MemberName(overwatch.OutputHints, name), hb))
	return nil
}

// encodeObject returns the JSROOT JSON of a histogram, or of a THStack
// holding the members of a stack.
func encodeObject(r *processed) ([]byte, error) {
	jo := overwatch.JSONOptions{CompactArrays: true}
	if r.stack == nil {
		return overwatch.AppendJSON(nil, r.hist, jo)
	}
	var b []byte
	name, _ := json.Marshal(r.it.desc.Name)
	title, _ := json.Marshal(r.it.stack.Title)
	b = append(b, `{"_typename":"THStack","fName":`...)
	b = append(b, name...)
	b = append(b, `,"fTitle":`...)
	b = append(b, title...)
	b = append(b, `,"fHists":{"_typename":"TList","name":"TList","arr":[`...)
	for i, h := range r.stack {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = overwatch.AppendJSON(b, h, jo); err != nil {
			return nil, fmt.Errorf("stack member %s: %w", h.Name, err)
		}
	}
	b = append(b, `],"opt":[`...)
	for i := range r.stack {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `""`...)
	}
	b = append(b, `]},"fHistogram":null,"fMaximum":-1111,"fMinimum":-1111}`...)
	return b, nil
}

// marshalDoc encodes a document deterministically (struct field order,
// sorted map keys), without HTML escaping.
func marshalDoc(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func buildView(pl *plan, results []*processed, t Target, snap overwatch.SnapshotDoc, from *overwatch.SnapshotDoc, nEvents float64, opts overwatch.Values) *overwatch.ViewDoc {
	v := &overwatch.ViewDoc{
		Run: t.Run, Subsystem: t.Subsystem, Source: t.Source, Slice: t.Slice,
		Snapshot: snap, From: from, NEvents: nEvents, Options: opts.Canonical(),
		Skipped: t.Skipped, Groups: []overwatch.ViewGroup{},
	}
	groups := make([]overwatch.ViewGroup, len(pl.groups))
	for i, g := range pl.groups {
		groups[i] = overwatch.ViewGroup{Title: g.Title, Grid: g.Grid}
	}
	for _, r := range results {
		if r.skip {
			continue
		}
		g := &groups[r.it.group]
		g.Hists = append(g.Hists, overwatch.ViewHist{Name: r.it.desc.Name, PrettyName: r.hints.PrettyName, Class: r.hints.Class, Quality: r.hints.Quality})
	}
	for _, g := range groups {
		if len(g.Hists) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	return v
}

// putBundle writes the bundle of a processed snapshot: the members of
// every result and the view, replacing the previous bundle atomically.
func (p *Processor) putBundle(ctx context.Context, t Target, v *overwatch.ViewDoc, results []*processed) error {
	n := 1
	for _, r := range results {
		n += len(r.members)
	}
	members := make([]bundle.Member, 0, n)
	for _, r := range results {
		if !r.skip {
			members = append(members, r.members...)
		}
	}
	return p.writeBundle(ctx, t, v, members)
}

// writeBundle encodes the view next to members and stores the bundle.
func (p *Processor) writeBundle(ctx context.Context, t Target, v *overwatch.ViewDoc, members []bundle.Member) error {
	vb, err := marshalDoc(v)
	if err != nil {
		return fmt.Errorf("processing: encoding view: %w", err)
	}
	members = append(members, bundle.NewMember(bundle.ViewMember, vb))
	data, err := bundle.Encode(members)
	if err != nil {
		return fmt.Errorf("processing: bundle of run %d %s: %w", t.Run, t.Subsystem, err)
	}
	if err := checkFence(ctx); err != nil {
		return fmt.Errorf("processing: bundle of run %d %s not written: %w", t.Run, t.Subsystem, err)
	}
	if err := p.store.PutOutput(ctx, bundle.Ref(t.Run, t.Subsystem, t.Slice), data); err != nil {
		return fmt.Errorf("processing: writing bundle of run %d %s: %w", t.Run, t.Subsystem, err)
	}
	return nil
}

// putView replaces the view of a stored bundle, keeping its other members
// (a bundle holding only the view when there is none).
func (p *Processor) putView(ctx context.Context, t Target, v *overwatch.ViewDoc) error {
	var keep []bundle.Member
	old, err := p.store.Output(ctx, bundle.Ref(t.Run, t.Subsystem, t.Slice))
	switch {
	case err == nil:
		ms, err := bundle.Decode(old)
		if err != nil {
			p.log.Warn("stored bundle unreadable; rewritten with the view only", "run", t.Run, "subsystem", t.Subsystem, "err", err)
		}
		for _, m := range ms {
			if m.Name != bundle.ViewMember {
				keep = append(keep, m)
			}
		}
	case !errors.Is(err, overwatch.ErrNotFound):
		return fmt.Errorf("processing: reading bundle of run %d %s: %w", t.Run, t.Subsystem, err)
	}
	return p.writeBundle(ctx, t, v, keep)
}

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

// renderPNG renders a processed histogram or stack.
func (p *Processor) renderPNG(r *processed) ([]byte, error) {
	o := render.Options{Width: p.opts.PNGWidth, Height: p.opts.PNGHeight}
	if r.stack != nil {
		return render.Stack(r.stack, r.it.stack.Title, &r.hints.Display, o)
	}
	return render.Hist(r.hist, &r.hints.Display, o)
}
