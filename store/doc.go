// Package store is the default implementation of overwatch.Store: a file
// tree compatible with the original ALICE Overwatch layout plus an
// embedded index that can always be rebuilt from the files.
//
// # File tree
//
//	<dir>/
//	  overwatch.index                        the index (bbolt), rebuildable
//	  Run<N>/runInfo.yaml                    "hltMode: C", written once by the run's first snapshot
//	  Run<N>/<SYS>/<SYS>hists.<time>[.<seq>].root   snapshots
//	  Run<N>/<SYS>/bundle.owb                the outputs of the processed snapshot (package processing/bundle)
//	  Run<N>/<SYS>/json/<out>.json, img/<out>.png, hints/<out>.json, view.json   per-file outputs (before bundles)
//	  Run<N>/<SYS>/slices/<key>/…            a time slice's outputs, same layout, + slice.json
//	  ReplayData/Run<N>/<SYS>/…              mode E snapshots: stored, never indexed or announced
//	  trending/<SYS>/json|img|hints/…        trending outputs (OutputRef.Run 0)
//	  trending/<SYS>/points.jsonl            trend-point journal
//	  alarms/<out>.json                      one document per alarm
//	  quarantine/…                           files rejected by Ingest or QuarantineSnapshot
//
// <time> is the Europe/Zurich wall time Y_M_D_h_m_s, zero-padded when the
// store writes it (unpadded names of the C++ receiver are read as well).
// Two snapshots of the same run and subsystem in the same second get the
// sequence numbers 0, 1, 2, …, written as no suffix, ".1", ".2" before
// ".root" (EMChists.2015_11_24_18_05_10.1.root); the parser accepts the
// same suffix on drop-folder names. <out> is OutName(histogram name): '/'
// and other unsafe bytes are percent-encoded, which, unlike the original
// '/'→'_', is injective. Outputs are always written under the subsystem
// of the OutputRef, so a subsystem that borrows the HLT receiver's files
// never overwrites HLT's outputs.
//
// # File names and time
//
// The grammar is explicit (ParseName, ParseReceiverName, ParseMovedName,
// ParseCombinedName, ParseTimeSliceName and their Format counterparts):
// names are matched as a whole, the subsystem is the prefix of the name,
// directories are never parsed. Time strings are Europe/Zurich wall time
// (time/tzdata is embedded). At the autumn DST change the repeated hour
// resolves to the later instant (CET), unless the name carries the tag
// "_CEST", which FormatTime writes exactly for instants of the first
// occurrence; a wall time inside the spring gap is shifted forward by an
// hour (see WallTime).
//
// # Runs and subsystems
//
// The first snapshot of a run fixes its HLT mode (runInfo.yaml, never
// rewritten). A run lists every subsystem with snapshots of its own, and
// every configured subsystem without its own that borrows the HLT
// receiver's files (Source "HLT") as soon as the run has HLT snapshots —
// whenever they arrive, not only at run creation. The borrowing is
// derived when the run is read, so a subsystem whose own files start
// arriving is converted at once (Source becomes itself).
//
// # Index
//
// The index is bbolt (go.etcd.io/bbolt): pure Go, no cgo, no server, one
// file, ACID transactions with a single writer, ordered keys and cursors
// in both directions. Ordered keys make the hot queries range scans —
// the newest 50 of 10,000 runs, the snapshots of one run and subsystem in
// time order, a trend series between two times — without any SQL layer;
// modernc.org/sqlite would have added a large dependency and a query
// planner for no benefit here.
//
// Durability and crash safety: every file is written to a temporary file
// in its final directory, fsynced, renamed (or hard-linked when it must
// not replace another file) and the directory fsynced; the index is
// updated only afterwards, so an index entry never points at nothing.
// Before its first write into a Run<N>/<SYS> folder a store marks the
// folder in the index; Open reconciles the marked folders of a store that
// crashed (adding files the index lacks, removing temporary files) and
// Close clears the marks. Trend points go to an fsynced append-only
// journal before the index, which records how far each journal was
// indexed; alarms are write-through documents. Rebuild recreates the
// whole index from the files, run folder by run folder in bounded memory;
// the only thing it cannot restore is the Source (delivering receiver) of
// each snapshot.
//
// # Limits
//
// One process opens a data directory at a time: bbolt locks the index
// file, and a second Open waits Options.LockTimeout and fails with an
// error saying so. Components that share a directory run in one process
// (overwatch serve) or one after the other. PutOutput fsyncs by default;
// processing that writes hundreds of outputs per snapshot should set
// Options.NoSyncOutputs (still atomic, only not durable across a power
// loss — outputs can be recomputed from the snapshots). A trend point
// stored again is appended to its journal again; CompactTrends (overwatch
// store compact) rewrites the journals without the superseded lines.
package store
