package analysis_test

import (
	"log"
	"os"
	"path/filepath"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/examples/analysis/analysis"
)

// Two cumulative snapshots of an energy spectrum: 100 entries at 1.5 first,
// then 200 more at 3.5. The window holds only the 200 new entries.
func Example() {
	dir, err := os.MkdirTemp("", "analysis")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	h := overwatch.MustNewHist(overwatch.ClassTH1D, "hEnergy", "energy", overwatch.NewAxis(10, 0, 10))
	fill := func(n int, x float64) {
		for i := 0; i < n; i++ {
			if err := h.Fill(1, x); err != nil {
				log.Fatal(err)
			}
		}
	}
	fill(100, 1.5)
	earlier := filepath.Join(dir, "EMChists.2015_11_24_18_05_10.root")
	if err := overwatch.WriteFile(earlier, []overwatch.Entry{{Dir: "EMC", Key: "hEnergy", Object: h}}); err != nil {
		log.Fatal(err)
	}
	fill(100, 3.5)
	fill(100, 5.5)
	later := filepath.Join(dir, "EMChists.2015_11_24_18_10_10.root")
	if err := overwatch.WriteFile(later, []overwatch.Entry{{Dir: "EMC", Key: "hEnergy", Object: h}}); err != nil {
		log.Fatal(err)
	}

	stats, _, err := analysis.Window(later, earlier)
	if err != nil {
		log.Fatal(err)
	}
	if err := analysis.Print(os.Stdout, stats); err != nil {
		log.Fatal(err)
	}
	// Output:
	// histogram    class  entries  mean ± sigma
	// EMC/hEnergy  TH1D   200      x: 4.5 ± 1
}
