// Command overwatch-zdc is the Overwatch reference binary with the ZDC
// detector of package zdc: every sub-command of package cli, plus ZDC.
package main

import (
	"github.com/overwatch-dqm/overwatch/cli"

	_ "example.org/zdc" // registers the ZDC detector
)

func main() { cli.Main() }
