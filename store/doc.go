// Package store is the default implementation of overwatch.Store: a file
// tree compatible with the original ALICE Overwatch layout plus an SQL
// index (SQLite in the data directory, or PostgreSQL) that can always be
// rebuilt from the files.
//
// # File tree
//
//	<dir>/
//	  overwatch.db (-wal, -shm)              the SQLite index, rebuildable (absent on PostgreSQL)
//	  overwatch.lock, locks/<writer>         open Stores (shared lock; Rebuild takes it exclusively)
//	  Run<N>/runInfo.yaml                    "hltMode: C", written once by the run's first snapshot
//	  Run<N>/<SYS>/<SYS>hists.<time>[.<seq>].root   snapshots
//	  Run<N>/<SYS>/subsystemInfo.yaml        "accumulation: reset", written once by the first snapshot of the subsystem that declares one
//	  Run<N>/<SYS>/bundle.owb                the outputs of the processed snapshot (package store/bundle)
//	  Run<N>/<SYS>/json/<out>.json, img/<out>.png, hints/<out>.json, view.json   per-file outputs (before bundles)
//	  Run<N>/<SYS>/slices/<key>/…            a time slice's outputs, same layout, + slice.json
//	  ReplayData/Run<N>/<SYS>/…              mode E snapshots: stored, never indexed or announced
//	  trending/<SYS>/json|img|hints/…        trending outputs (OutputRef.Run 0)
//	  trending/<SYS>/points.jsonl            trend-point journal
//	  alarms/<out>.json                      one document per alarm
//	  alarms/history.jsonl                    alarm-event journal (fired, resolved, acknowledged, silenced)
//	  quarantine/…                           files rejected by Ingest or QuarantineSnapshot
//	  documents/<kind>/<OutName(name)>/<version>.json   versioned documents (layouts, references, …), on the store's bucket
//	  outputs/<output path>/<version>-<sha256>   every output above (bundles, images, views, slices, trending), on a bucket that is not the data directory
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
// rewritten), and the first snapshot of a run's subsystem its
// accumulation, cumulative or reset (subsystemInfo.yaml, written only
// when that snapshot declares one; see overwatch.Accumulation). A run lists every subsystem with snapshots of its own, and
// every configured subsystem without its own that borrows the HLT
// receiver's files (Source "HLT") as soon as the run has HLT snapshots —
// whenever they arrive, not only at run creation. The borrowing is
// derived when the run is read, so a subsystem whose own files start
// arriving is converted at once (Source becomes itself).
//
// # Index
//
// The index is SQL on database/sql with one schema and one set of queries
// for both engines; a small dialect (placeholders, a few column types)
// is all that differs. Options.Index selects the engine:
//
//   - SQLite (default) through modernc.org/sqlite (pure Go, no cgo): the
//     file overwatch.db in WAL mode with a busy timeout and immediate
//     write transactions, so that several processes of one machine
//     (receivers, processing, web, DQM) share one data directory; each
//     process writes through one connection and reads through a few.
//   - PostgreSQL through github.com/jackc/pgx/v5, for deployments beyond
//     one machine; the DSN (with its password) comes from
//     $OVERWATCH_PG_DSN.
//
// The hot queries are primary-key range scans: the newest 50 of 10,000
// runs (runs, then the subsystem summaries of the page), the snapshots of
// one run and subsystem in time order, a trend series between two times.
// Trend points are idempotent on (subsystem, trend, time, seq). The domain
// rules (HLT borrowing, output naming) live above the engines, in the run
// model (model.go) and layout.go.
//
// Snapshot files are kept through a blob.Bucket (Options.Bucket, default
// blob.Dir of the data directory: the layout above). Outputs are files of
// the data directory when the bucket is the data directory, replaced by
// atomic rename; on another bucket (S3, XRootD/EOS) each output version is
// an immutable object outputs/<output path>/<version>-<sha256>, where the
// version is the write time in 19-digit Unix nanoseconds (past the
// previous version's), and the index table outputs points at the current
// one. A superseded version is deleted by a background sweep of a later
// write once it has been superseded for a grace period (a minute), so
// that a reader that resolved it (a bundle's index, then its members)
// still reads it; a writer that dies between the object and the index
// leaves an object recorded as garbage beforehand, swept the same way.
// DeleteRun deletes a run's output objects; Rebuild indexes the newest
// version of every output path on the bucket and leaves the older ones
// to the sweep. Journals and alarm documents are files of the data
// directory.
//
// Durability and crash safety: every file is written to a temporary file
// in its final directory, fsynced, linked (never replacing another file)
// or renamed (outputs) and the directory fsynced; the index is updated
// only afterwards, so an index entry never points at nothing. Before its
// first write into a Run<N>/<SYS> folder a Store marks the folder in the
// index under its writer identity, whose file in locks/ it holds locked
// while open; Open reconciles the folders marked by writers that are gone
// (adding files the index lacks, removing temporary files) and Close
// clears its own marks. Trend points and alarm events go to fsynced
// append-only journals before the index, which records how far each
// journal was indexed; alarm documents are written inside the index
// transaction that stores them. UpdateAlarm is one transaction (SQLite's
// write lock; a PostgreSQL advisory lock of the alarm). Rebuild recreates
// the whole index from the files, 256 run folders at a time in bounded
// memory; the only thing it cannot restore is the Origin of each
// snapshot. A data directory of the earlier bbolt index (overwatch.index)
// is imported by that rebuild when it is first opened.
//
// Announcements: Watch sees the snapshots of every Store on the index. A
// Store announces its own at once; those of other processes arrive on
// PostgreSQL by NOTIFY (sent by the indexing transaction) and on SQLite by
// polling the snapshots' row numbers every Options.PollInterval (one
// primary-key query).
//
// # Limits
//
// PutOutput fsyncs by default; processing that writes hundreds of outputs
// per snapshot should set Options.NoSyncOutputs (still atomic, only not
// durable across a power loss — outputs can be recomputed from the
// snapshots). A trend point stored again is appended to its journal
// again; CompactTrends (overwatch store compact) rewrites the journals
// without the superseded lines and PruneTrends also without the points
// older than a time (retention's trendMaxAge), both safe while other
// processes append: an append holds its journal's lock until its lines
// are indexed, and a rewrite holds it too. The SQLite write-ahead log is
// cut back to 16 MiB after checkpoints and checkpointed after a prune.
// Rebuild needs every Store of the directory closed.
// On a PostgreSQL index with the default bucket (the data directory)
// every machine must see the same data directory (the files and journals
// live there); with an S3 or XRootD bucket, snapshots, outputs, journals,
// alarm and versioned documents are all on the bucket and each machine
// keeps its own data directory. Journal offsets are kept per
// journal: lines a crashed process appended but never indexed are indexed
// by the next append to that journal (by any process: an append holds the
// journal's lock until it is indexed, so lines past the offset before
// one's own are a dead writer's) and by the next Open.
package store
