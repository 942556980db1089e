package timeslice_test

import (
	"fmt"
	"time"

	ow "github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/timeslice"
)

// Two cumulative snapshots of the same histogram: their difference holds the
// counts of the window, with the window's statistics and uncertainties.
func ExampleDiff() {
	earlier := ow.MustNewHist(ow.ClassTH1F, "adc", "ADC", ow.NewAxis(4, 0, 4))
	for _, x := range []float64{0.5, 0.5, 2.5} {
		_ = earlier.Fill(1, x)
	}
	later := earlier.Clone()
	for _, x := range []float64{1.5, 1.5, 1.5, 3.5} {
		_ = later.Fill(1, x)
	}
	window, info, err := timeslice.Diff(later, earlier)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reset:", info.Reset)
	fmt.Println("contents:", window.Contents[1:5], "entries:", window.Entries)
	fmt.Printf("mean %.2f, error of bin 2 %.3f\n", window.Mean(ow.AxisX), window.BinError(2))

	// The source restarted: a count went down, the later snapshot is kept.
	restarted := ow.MustNewHist(ow.ClassTH1F, "adc", "ADC", ow.NewAxis(4, 0, 4))
	_ = restarted.Fill(1, 3.5)
	_, info, _ = timeslice.Diff(restarted, later)
	fmt.Println("reset:", info.Reset, "-", info.Reason)
	// Output:
	// reset: false
	// contents: [0 3 0 1] entries: 4
	// mean 2.00, error of bin 2 1.732
	// reset: true - content of cell 1 went down from 2 to 0
}

// Snapshots written about once a minute: the window from minute 1 to minute
// 3 of the run is the snapshot at minute 3 minus the last one before minute
// 1; a window starting with the run subtracts nothing.
func ExampleSelectWindow() {
	start := time.Date(2018, 6, 1, 10, 0, 0, 0, time.UTC)
	var times []time.Time
	for _, s := range []int{0, 62, 121, 180, 241} {
		times = append(times, start.Add(time.Duration(s)*time.Second))
	}
	later, earlier, _ := timeslice.SelectWindow(times, start.Add(time.Minute), start.Add(3*time.Minute))
	fmt.Println(later, earlier)
	// With exact times the snapshot written at 121 s is after minute 2...
	later, earlier, _ = timeslice.SelectWindow(times, start, start.Add(2*time.Minute))
	fmt.Println(later, earlier == timeslice.NoSnapshot)
	// ...while with whole minutes of the run it is the minute-2 snapshot.
	later, earlier, _ = timeslice.SelectMinutes(times, start, 0, 2)
	fmt.Println(later, earlier == timeslice.NoSnapshot)
	later, earlier, _ = timeslice.SelectMinutes(times, start, 1, 3)
	fmt.Println(later, earlier)
	_, _, err := timeslice.SelectWindow(times, start.Add(130*time.Second), start.Add(170*time.Second))
	fmt.Println(err != nil)
	// Output:
	// 3 0
	// 1 true
	// 2 true
	// 3 0
	// true
}
