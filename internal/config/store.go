package config

import (
	"time"

	"github.com/overwatch-dqm/overwatch/retention"
)

// DefaultPruneEvery is how often serve applies a retention policy that
// deletes something.
const DefaultPruneEvery = time.Hour

// Store configures the store.
type Store struct {
	// Retention is what the store may forget (package retention); the zero
	// policy, the default, keeps everything. serve applies it every
	// PruneEvery, `overwatch store prune` once.
	Retention retention.Policy `yaml:"retention"`
	// PruneEvery is the period of serve's pruning (DefaultPruneEvery when
	// zero).
	PruneEvery time.Duration `yaml:"pruneEvery"`
}

func (s Store) validate(bad func(string, ...any)) {
	if err := s.Retention.Validate(); err != nil {
		bad("store.retention: %v", err)
	}
	if s.PruneEvery < 0 {
		bad("store.pruneEvery: must not be negative")
	}
}
