// Package processing is Overwatch's processing pipeline: it turns stored
// snapshots into the outputs the web app shows.
//
// A Processor consumes the store's announcements of new snapshots (and
// periodically scans for anything it missed), builds for every subsystem a
// snapshot feeds the subsystem view through the detector hooks of the root
// package (derived histograms, stacks, display defaults, groups, functions),
// runs the detector functions on every histogram in parallel and writes, per
// histogram, the JSROOT JSON (overwatch.OutputJSON), the display hints
// (overwatch.OutputHints, a Hints document) and a PNG (overwatch.OutputPNG),
// and per subsystem the view (overwatch.OutputView, a ViewDoc).
//
// Progress is durable: the view document records which snapshot it was
// built from and whether every output of that snapshot has been written, so
// a restarted processor resumes where it stopped. Processing is idempotent:
// the same inputs give byte-identical JSON outputs.
//
// Trending plugs in through the Observer interface; time slices reuse the
// same code through Processor.ProcessFile, which writes outputs under a slice
// key without touching the full run's outputs.
package processing
