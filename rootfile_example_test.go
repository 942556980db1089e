package overwatch_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	ow "github.com/overwatch-dqm/overwatch"
)

// Write histograms to a ROOT file, with a key name holding a '/', and read
// them back.
func ExampleWriteFile() {
	h := ow.MustNewHist(ow.ClassTH1I, "h_tpc_event_recvertex_0", "vertices", ow.NewAxis(4, 0, 4))
	for _, x := range []float64{0.5, 1.5, 1.5, 3.5} {
		_ = h.Fill(1, x)
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "TPChists.root")
	err = ow.WriteFile(path, []ow.Entry{
		{Dir: "TPC", Key: "TPCQA/h_tpc_event_recvertex_0", Object: h},
		{Key: "info", Object: &ow.Text{Value: "run=290222"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	f, err := ow.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range f.Entries {
		fmt.Println(e.Path(), e.Object.ClassName())
	}
	got := f.Hist("TPC/TPCQA/h_tpc_event_recvertex_0")
	fmt.Println(got.Entries, got.Contents)
	// Output:
	// TPC/TPCQA/h_tpc_event_recvertex_0 TH1I
	// info TObjString
	// 4 [0 1 2 0 1 0]
}
