package bundle_test

import (
	"bytes"
	"fmt"

	"github.com/overwatch-dqm/overwatch/store/bundle"
)

func Example() {
	b, _ := bundle.Encode([]bundle.Member{
		bundle.NewMember(bundle.ViewMember, []byte(`{"run":1}`)),
		bundle.NewMember("json/hEvents", []byte(`{"_typename":"TH1D"}`)),
	})
	x, _ := bundle.ReadIndex(bytes.NewReader(b), int64(len(b)))
	e, _ := x.Lookup("json/hEvents")
	data, _ := bundle.ReadMember(bytes.NewReader(b), e)
	fmt.Println(x.Len(), string(data))
	// Output: 2 {"_typename":"TH1D"}
}
