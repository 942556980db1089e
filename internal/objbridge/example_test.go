package objbridge_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/objbridge"
)

// Importing the root package sets the bridge.
func Example() {
	o, err := objbridge.ToRootIO(&overwatch.Text{Value: "run=1"})
	fmt.Println(err)
	back, dropped, err := objbridge.FromRootIO(o)
	fmt.Println(back.(*overwatch.Text).Value, len(dropped), err)
	// Output:
	// <nil>
	// run=1 0 <nil>
}
