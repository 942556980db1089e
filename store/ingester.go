package store

import (
	"context"
	"errors"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Ingester is drop-folder ingestion as an overwatch.Receiver: it moves the
// receiver-named files of Dir into Store every Every (default 1 s) until
// the context of Run ends.
type Ingester struct {
	Store *Store
	Dir   string
	Every time.Duration
}

var _ overwatch.Receiver = (*Ingester)(nil)

// Run ingests until ctx is done (RunIngest).
func (in *Ingester) Run(ctx context.Context) error {
	if in.Store == nil || in.Dir == "" {
		return errors.New("store: Ingester needs a Store and a Dir")
	}
	return in.Store.RunIngest(ctx, in.Dir, in.Every)
}
