package hltnames_test

import (
	"fmt"

	"github.com/overwatch-dqm/overwatch/detectors/hlt/hltnames"
)

func Example() {
	fmt.Println(len(hltnames.Trended), "fHist"+hltnames.Trended[0])
	// Output: 38 fHistClusterChargeMax
}
