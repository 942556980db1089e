package observe_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
	"github.com/overwatch-dqm/overwatch/quality/observe"
)

// benchDocs serves one reference declaration and a bad-channel list.
type benchDocs struct{ ref, bad ow.Document }

func (d benchDocs) Documents(context.Context, string) ([]ow.Document, error) {
	return []ow.Document{d.ref}, nil
}

func (d benchDocs) Document(_ context.Context, kind, _ string, _ int64) (ow.Document, error) {
	if kind == quality.BadChannelsKind {
		return d.bad, nil
	}
	return ow.Document{}, ow.ErrNotFound
}

func (d benchDocs) PutDocument(_ context.Context, doc ow.Document, _ int64) (ow.Document, error) {
	return doc, nil
}

type benchOutputs map[string][]byte

func (o benchOutputs) Output(_ context.Context, ref ow.OutputRef) ([]byte, error) {
	if b, ok := o[ref.Name]; ok {
		return b, nil
	}
	return nil, ow.ErrNotFound
}

// BenchmarkObserveWithReferences500 is the observer's cost with the
// features of issue 15 on: 500 histograms, each compared by Chi2Test and
// BinByBin with its reference (resolved from the declarations, decoded
// once, then cached) and checked by DeadChannels with 2 confirmed bad
// channels excluded, the list read once per snapshot.
func BenchmarkObserveWithReferences500(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	hists := map[string]*ow.Hist{}
	outs := benchOutputs{}
	bad := &quality.BadChannels{Subsystem: "EMC"}
	for i := range 500 {
		h := ow.MustNewHist(ow.ClassTH1F, fmt.Sprintf("EMC%03d", i), "", ow.NewAxis(100, 0, 100))
		r := ow.MustNewHist(ow.ClassTH1F, h.Name, "", ow.NewAxis(100, 0, 100))
		for range 10000 {
			_ = h.Fill(1, 100*rng.Float64())
			_ = r.Fill(1, 100*rng.Float64())
		}
		js, err := ow.MarshalJSON(r)
		if err != nil {
			b.Fatal(err)
		}
		hists[h.Name], outs[h.Name] = h, js
		bad.Propose(h, quality.Result{Check: "DeadChannels", Bins: []int{10, 20}}, 1, time.Unix(1e9, 0))
	}
	for i := range bad.Channels {
		bad.Channels[i].State = quality.ChannelConfirmed
	}
	badDoc, err := bad.Document("x", "")
	if err != nil {
		b.Fatal(err)
	}
	refDoc, err := quality.Reference{Subsystem: "EMC", First: 1, Run: 7}.Document()
	if err != nil {
		b.Fatal(err)
	}
	docs := benchDocs{ref: refDoc, bad: badDoc}
	specs := []ow.CheckSpec{
		{Hist: "EMC*", Check: "Chi2Test"},
		{Hist: "EMC*", Check: "BinByBin", Params: map[string]any{"MaxDiffRel": 0.5}},
		{Hist: "EMC*", Check: "DeadChannels"},
	}
	ob, err := observe.New(observe.Options{Configs: map[string]quality.Config{"EMC": {Checks: specs}},
		References: observe.NewStoreReferences(docs, outs, time.Hour), BadChannels: docs})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Unix(1e9, 0)
	snap := func(i int) ow.SnapshotInfo {
		return ow.SnapshotInfo{SnapshotRef: ow.SnapshotRef{Run: 42, Subsystem: "EMC", Time: t0.Add(time.Duration(i) * time.Second)}}
	}
	info, err := ob.Observe(ctx, "EMC", snap(0), 42, hists) // decodes the references
	if err != nil {
		b.Fatal(err)
	}
	if got := info["EMC000"][0].Value; got != "run 7 (EMC/1-)" {
		b.Fatalf("reference line %q", got)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := ob.Observe(ctx, "EMC", snap(i), 42, hists); err != nil {
			b.Fatal(err)
		}
	}
}
