package overwatch_test

import (
	"fmt"
	"log"

	"github.com/overwatch-dqm/overwatch"
)

// Encode a histogram as the JSON JSROOT draws. CompactArrays writes the
// cell arrays in the shortest of JSROOT's compact "$arr" forms and the
// plain form: here a sparse array becomes a run-length "$arr".
func ExampleAppendJSON() {
	h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "example", overwatch.NewAxis(100, 0, 100))
	for _, x := range []float64{10.5, 11.5, 11.5, 60.5} {
		if err := h.Fill(1, x); err != nil {
			log.Fatal(err)
		}
	}
	buf, err := overwatch.AppendJSON(nil, h, overwatch.JSONOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(buf), string(buf[:len(`{"_typename":"TH1F"`)]))
	compact, err := overwatch.AppendJSON(nil, h, overwatch.JSONOptions{CompactArrays: true})
	if err != nil {
		log.Fatal(err)
	}
	tail := `"fArray":{"$arr":"Float32","len":102,"p":11,"v":[1,2],"p1":61,"v1":[1]}}`
	fmt.Println(len(compact), string(compact[len(compact)-len(tail):]))
	// Output:
	// 2039 {"_typename":"TH1F"
	// 1896 "fArray":{"$arr":"Float32","len":102,"p":11,"v":[1,2],"p1":61,"v1":[1]}}
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
