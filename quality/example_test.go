package quality_test

import (
	"fmt"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/quality"
)

// A detector expert declares a check as data; the registry validates and
// builds it, and it judges a histogram.
func Example() {
	h := ow.MustNewHist(ow.ClassTH1D, "EMCRawAmp", "", ow.NewAxis(10, 0, 10))
	for i := 1; i <= 10; i++ {
		_ = h.SetBinContent(i, 100)
	}
	_ = h.SetBinContent(4, 400) // a hot tower
	h.Entries = 1300

	check, err := quality.New(ow.CheckSpec{
		Hist:   "EMC*",
		Check:  "Bins_Diff_FromAvg",
		Params: map[string]any{"NSigma": 5, "MinStat": 100},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := check.Run(h, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Quality, "-", r.Reason)
	fmt.Println("offending bins:", r.Bins)

	_, err = quality.New(ow.CheckSpec{Hist: "EMC*", Check: "Bins_Diff_FromAvg"})
	fmt.Println(err)
	// Output:
	// bad - 1 bins more than 5 σ from the average 108.1 (Good up to 0, Bad from 1)
	// offending bins: [4]
	// check Bins_Diff_FromAvg (Bins_Diff_FromAvg): quality: invalid check configuration: parameter NSigma is required (number of errors a bin must be within the average)
}

// Chi2Test gives every number of ROOT's TH1::Chi2Test at once.
func ExampleChi2Test() {
	h1 := ow.MustNewHist(ow.ClassTH1D, "data", "", ow.NewAxis(4, 0, 4))
	h2 := ow.MustNewHist(ow.ClassTH1D, "ref", "", ow.NewAxis(4, 0, 4))
	for i, c := range []float64{10, 20, 30, 40} {
		_ = h1.SetBinContent(i+1, c)
		_ = h2.SetBinContent(i+1, 2*c+float64(i))
	}
	r, err := quality.Chi2Test(h1, h2, "UU")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s chi2=%.4f ndf=%d p=%.4f igood=%d\n", r.Mode, r.Chi2, r.NDF, r.PValue, r.IGood)
	// Output:
	// UU chi2=0.0078 ndf=3 p=0.9998 igood=0
}
