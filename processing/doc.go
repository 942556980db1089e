// Package processing is Overwatch's processing pipeline: it turns stored
// snapshots into the outputs the web app shows.
//
// A Processor consumes the store's announcements of new snapshots (and
// periodically scans for anything it missed), builds for every subsystem a
// snapshot feeds the subsystem view through the detector hooks of the root
// package (derived histograms, stacks, display defaults, groups, functions),
// runs the detector functions on every histogram in parallel and writes one
// bundle (package store/bundle, overwatch.OutputBundle) per processed
// snapshot and subsystem: per histogram the JSROOT JSON and the display
// hints (a Hints document), and the view (a ViewDoc), replacing the
// previous bundle atomically. Images are rendered on demand by their
// readers from the bundle's JSON (Options.PNG; PNGEager renders them into
// the bundle). Read outputs through bundle.Outputs.
//
// Progress is durable: the view document records which snapshot it was
// built from and whether every output of that snapshot has been written, so
// a restarted processor resumes where it stopped. Processing is idempotent:
// the same inputs give byte-identical bundles. In one process with the
// receivers (serve, demo) a Handoff carries their decoded snapshots to the
// processor, so that each is decoded once.
//
// Trending plugs in through the Observer interface; time slices reuse the
// same code through Processor.ProcessFile, which writes outputs under a slice
// key without touching the full run's outputs.
package processing
