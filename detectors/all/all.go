// Package all registers every built-in Overwatch detector plug-in (EMC,
// TPC and HLT) when imported:
//
//	import _ "github.com/overwatch-dqm/overwatch/detectors/all"
package all

import (
	// Built-in detectors register themselves in their init functions.
	_ "github.com/overwatch-dqm/overwatch/detectors/emc"
	_ "github.com/overwatch-dqm/overwatch/detectors/hlt"
	_ "github.com/overwatch-dqm/overwatch/detectors/tpc"
)
