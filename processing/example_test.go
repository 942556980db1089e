package processing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/processing"
	"github.com/overwatch-dqm/overwatch/store"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

// ExampleProcessor_ProcessFile processes an in-memory snapshot for one
// subsystem and reads back the view the web app lays out a run page from.
func ExampleProcessor_ProcessFile() {
	dir, _ := os.MkdirTemp("", "overwatch-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(dir, store.Options{Subsystems: []string{"EXA"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	h := overwatch.MustNewHist(overwatch.ClassTH1F, "EXAamplitude", "amplitude", overwatch.NewAxis(10, 0, 10))
	_ = h.Fill(1, 3.5)
	ev := overwatch.MustNewHist(overwatch.ClassTH1D, "EXAEvents", "events", overwatch.NewAxis(1, 0, 1))
	ev.Contents[1] = 250
	f := &overwatch.File{Entries: []overwatch.Entry{{Key: h.Name, Object: h}, {Key: ev.Name, Object: ev}}}

	p := processing.New(st, processing.Options{NoPNG: true})
	res, err := p.ProcessFile(context.Background(), f, processing.Target{Run: 1, Subsystem: "EXA"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("histograms:", res.Hists, "events:", res.NEvents)

	b, _ := bundle.NewOutputs(st).Output(context.Background(), overwatch.ViewRef(1, "EXA", ""))
	var v overwatch.ViewDoc
	_ = json.Unmarshal(b, &v)
	for _, g := range v.Groups {
		for _, h := range g.Hists {
			fmt.Printf("%s: %s (%s)\n", g.Title, h.Name, h.Class)
		}
	}
	// Output:
	// histograms: 2 events: 250
	// EXA Histograms: EXAEvents (TH1D)
	// EXA Histograms: EXAamplitude (TH1F)
}
