// Command overwatch is the reference binary of Overwatch: one static binary
// whose sub-commands run every component (receivers, processing, web app,
// simulator) and the tools around them, with the built-in detectors (EMC,
// TPC, HLT).
//
// Run "overwatch help" for the list of sub-commands and
// "overwatch COMMAND -h" for the flags of one. The command set lives in
// package cli, so a binary with more detectors is as short as this one.
package main

import "github.com/overwatch-dqm/overwatch/cli"

func main() { cli.Main() }
