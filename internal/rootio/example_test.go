package rootio_test

import (
	"fmt"
	"log"

	"github.com/overwatch-dqm/overwatch/internal/rootio"
)

// Write a file with a histogram under a key whose name holds a '/', then
// read it back.
func ExampleWriteFile() {
	h := &rootio.Hist{
		Class: "TH1I", Name: "h_tpc_event_recvertex_0", Title: "vertices",
		X:        rootio.Axis{Name: "xaxis", Attr: rootio.DefaultAxisAttr(), NBins: 2, Min: 0, Max: 2},
		Y:        rootio.Axis{Name: "yaxis", Attr: rootio.DefaultAxisAttr(), NBins: 1, Min: 0, Max: 1},
		Z:        rootio.Axis{Name: "zaxis", Attr: rootio.DefaultAxisAttr(), NBins: 1, Min: 0, Max: 1},
		Contents: []float64{0, 3, 4, 0}, Entries: 7, BarWidth: 1000,
	}
	data, err := rootio.WriteFile([]rootio.Entry{{Dir: "TPC", Name: "TPCQA/h_tpc_event_recvertex_0", Obj: h}}, rootio.WriteOptions{Level: 1})
	if err != nil {
		log.Fatal(err)
	}
	rd, err := rootio.NewReader(data)
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range rd.Keys {
		if !rootio.Supported(k.Class) {
			fmt.Println(k.Class, k.Name)
			continue
		}
		obj, err := rd.Decode(k)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(k.Class, k.Dir, k.Name, obj.(*rootio.Hist).Contents)
	}
	// Output:
	// TDirectoryFile TPC
	// TH1I TPC TPCQA/h_tpc_event_recvertex_0 [0 3 4 0]
}
