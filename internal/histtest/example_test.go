package histtest_test

import (
	"fmt"
	"testing"

	"github.com/overwatch-dqm/overwatch/internal/histtest"
)

func ExampleModelObjects() {
	entries := histtest.ModelObjects(&testing.T{})
	fmt.Println(len(entries), entries[0].Object.ClassName(), entries[len(entries)-1].Object.ClassName())
	// Output: 21 TH1C TObjString
}
