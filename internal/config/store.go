package config

import (
	"time"

	"github.com/overwatch-dqm/overwatch/retention"
)

// DefaultPruneEvery is how often serve applies a retention policy that
// deletes something.
const DefaultPruneEvery = time.Hour

// Store configures the store: its engines and its retention. The default
// engines (SQLite index in the data directory, snapshot files in the data
// directory) let several processes of one machine (serve, process, web,
// receive dqm) share one data directory.
type Store struct {
	// Index is the index engine: "sqlite" (default: overwatch.db in the
	// data directory) or "postgres", whose DSN (with its password) comes
	// from the environment variable OVERWATCH_PG_DSN only, never from
	// the file.
	Index string `yaml:"index"`
	// Blobs is where snapshot files are kept: "dir" (default: the data
	// directory, original Run<N>/<SYS>/… layout).
	Blobs string `yaml:"blobs"`
	// DSN is the PostgreSQL DSN from $OVERWATCH_PG_DSN.
	DSN string `yaml:"-"`
	// Retention is what the store may forget (package retention); the zero
	// policy, the default, keeps everything. serve applies it every
	// PruneEvery, `overwatch store prune` once.
	Retention retention.Policy `yaml:"retention"`
	// PruneEvery is the period of serve's pruning (DefaultPruneEvery when
	// zero).
	PruneEvery time.Duration `yaml:"pruneEvery"`
}

// IndexOption returns what store.Options.Index wants: "" for SQLite, the
// DSN for PostgreSQL.
func (s Store) IndexOption() string {
	if s.Index == "postgres" {
		return s.DSN
	}
	return ""
}

func (s Store) validate(bad func(string, ...any)) {
	if err := s.Retention.Validate(); err != nil {
		bad("store.retention: %v", err)
	}
	if s.PruneEvery < 0 {
		bad("store.pruneEvery: must not be negative")
	}
	switch s.Index {
	case "", "sqlite":
	case "postgres":
		if s.DSN == "" {
			bad("store.index: postgres needs its DSN in $OVERWATCH_PG_DSN (e.g. postgres://overwatch@db.example/overwatch)")
		}
	default:
		bad("store.index: %q is not sqlite or postgres", s.Index)
	}
	switch s.Blobs {
	case "", "dir":
	default:
		bad("store.blobs: %q is not dir", s.Blobs)
	}
}
