package all_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/overwatch-dqm/overwatch"
	_ "github.com/overwatch-dqm/overwatch/detectors/all"
)

func TestAllRegistered(t *testing.T) {
	for _, s := range []string{"EMC", "HLT", "TPC"} {
		_, ok := overwatch.LookupDetector(s)
		assert.True(t, ok, s)
	}
}

func Example() {
	fmt.Println(overwatch.Detectors())
	// Output: [EMC HLT TPC]
}
