package overwatch_test

import (
	"fmt"
	"log"

	"github.com/overwatch-dqm/overwatch"
)

// Encode a histogram as the JSON JSROOT draws. CompactArrays writes the
// cell arrays in JSROOT's compact "$arr" forms.
func ExampleAppendJSON() {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "example", overwatch.NewAxis(4, 0, 4))
	for _, x := range []float64{0.5, 1.5, 1.5, 3.5} {
		if err := h.Fill(1, x); err != nil {
			log.Fatal(err)
		}
	}
	buf, err := overwatch.AppendJSON(nil, h, overwatch.JSONOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(buf) > 0, string(buf[:len(`{"_typename":"TH1F"`)]))
	compact, err := overwatch.AppendJSON(nil, h, overwatch.JSONOptions{CompactArrays: true})
	if err != nil {
		log.Fatal(err)
	}
	i := len(compact) - len(`"fArray":{"$arr":"Float32","len":6,"p":1,"v":[1,2,0,1]}}`)
	fmt.Println(string(compact[i:]))
	// Output:
	// true {"_typename":"TH1F"
	// "fArray":{"$arr":"Float32","len":6,"p":1,"v":[1,2,0,1]}}
}

// MarshalJSON writes a trend graph; its axis titles and time axis travel in
// the graph's fHistogram frame.
func ExampleMarshalJSON() {
	g := overwatch.NewGraphErrors("trend", "mean")
	g.XTitle, g.XTime = "time", true
	g.AddPoint(1448384710, 3.5, 0, 0.1)
	b, err := overwatch.MarshalJSON(g)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b[:len(`{"_typename":"TGraphErrors"`)]))
	// Output: {"_typename":"TGraphErrors"
}
