package webapp

import "strconv"

// RunPath returns the path of the page of a run and subsystem
// ("/run/290000/EMC"), for links from outside the web app (alarm
// notifications).
func RunPath(run int, sys string) string { return "/run/" + strconv.Itoa(run) + "/" + sys }

// PlotPath returns the path of the rendered image (PNG) of a histogram of
// a run, encoded as the run pages encode it.
func PlotPath(run int, sys, hist string) string { return outputURL(run, sys, "", "png", hist) }

// StatusPath is the path of the status page (receivers' heartbeats,
// current alarms).
const StatusPath = "/status"
