package jsroottest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"

	"github.com/overwatch-dqm/overwatch/internal/jsroottest"
)

// The scripts write non-finite numbers as strings; Float reads both forms.
func ExampleFloat() {
	var v []jsroottest.Float
	if err := json.Unmarshal([]byte(`[1.5, "NaN", "-Inf", 2e308]`), &v); err != nil {
		log.Fatal(err)
	}
	fmt.Println(jsroottest.Floats(v))
	// Output: [1.5 NaN -Inf +Inf]
}

// Draw JSON with JSROOT, as a test of a JSON encoder does. In a test, call
// jsroottest.New(t) instead of Lookup to skip when Node is missing.
func ExampleEnv_Render() {
	e, err := jsroottest.Lookup()
	if err != nil {
		log.Fatal(err)
	}
	res, err := e.Render(context.Background(), jsroottest.RenderJob{
		ID:   "s",
		JSON: json.RawMessage(`{"_typename":"TObjString","fUniqueID":0,"fBits":0,"fString":"run 123"}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res[0].Typename, res[0].OK)
}
