package processing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Work sharing. With Options.Leases, several processors — several
// "overwatch process" workers, on one machine or many — share one store:
// the newest snapshot of a run's receiver subsystem is processed by the
// worker holding the lease of (run, receiver) in queue LeaseQueue. Each
// worker still follows every announcement; a worker that finds the lease
// taken leaves the work to its holder and looks again a little later
// (deferred work), so that the work of a holder that died is taken over
// once its lease expires (Options.LeaseTTL). A holder renews its lease
// every third of the TTL while it works; after processing it looks for a
// snapshot that arrived meanwhile and processes that too before it lets
// the lease go. Bundles are one atomic blob each, so outputs of one
// snapshot are never mixed from two workers, and a worker writes a bundle
// only after renewing its lease — a worker that lost it (paused beyond the
// TTL) writes nothing. What TTL leases cannot exclude is a pause that
// starts after that renewal and outlasts the TTL before the write lands:
// then two workers may both write the run's bundle, each whole (the
// newer snapshot's view wins the next round); a worker that finds its
// lease ran out while it worked says so in a warning. Keep the TTL well
// above the longest pause a worker may see.

// LeaseQueue is the lease queue of processing work; keys are
// "<run>/<receiver subsystem>".
const LeaseQueue = "process"

// DefaultLeaseTTL is Options.LeaseTTL when zero.
const DefaultLeaseTTL = 30 * time.Second

// deferEvery is how often work left to another holder is looked at again.
const deferEvery = time.Second

func leaseKey(run int, src string) string { return fmt.Sprintf("%d/%s", run, src) }

// NewHolderID returns a lease holder identity unique to this process and
// call: host name, process id and a random part.
func NewHolderID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// fence is carried by the context of leased work: writeBundle calls it
// before storing a bundle.
type fenceKey struct{}

func checkFence(ctx context.Context) error {
	if f, ok := ctx.Value(fenceKey{}).(func(context.Context) error); ok {
		return f(ctx)
	}
	return nil
}

// Holder returns this processor's identity in leases.
func (p *Processor) Holder() string { return p.holder }

// LeaseStats counts the shared work of a processor (Options.Leases).
type LeaseStats struct {
	// Taken is how many leases it was granted, Busy how often it found one
	// held by another worker, Lost how often it lost a lease while working,
	// Processed how many snapshots it processed under a lease, Skipped how
	// many it found already processed by another worker.
	Taken, Busy, Lost, Processed, Skipped int64
}

// LeaseStats returns the counters of shared work.
func (p *Processor) LeaseStats() LeaseStats {
	return LeaseStats{Taken: p.leaseTaken.Load(), Busy: p.leaseBusy.Load(), Lost: p.leaseLost.Load(),
		Processed: p.leaseProcessed.Load(), Skipped: p.leaseSkipped.Load()}
}

// shared processes w under its lease. It reports busy when another worker
// holds the lease (nothing was done). Work that another worker already did
// (the views are up to date with the snapshot) is skipped, unless forced.
func (p *Processor) shared(ctx context.Context, w *work) (busy bool, err error) {
	if p.opts.Leases == nil {
		return false, p.process(ctx, w.snap, w.subs)
	}
	ttl := p.opts.LeaseTTL
	key := leaseKey(w.snap.Run, w.snap.Subsystem)
	l, err := p.opts.Leases.TryLease(ctx, LeaseQueue, key, p.holder, ttl)
	if errors.Is(err, overwatch.ErrLeaseBusy) {
		p.leaseBusy.Add(1)
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("processing: lease %s: %w", key, err)
	}
	p.leaseTaken.Add(1)
	p.log.Debug("lease taken", "key", key, "token", l.Token, "expires", l.Expires)

	lctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex // the ticker's renewals and the fence's
	cur := l
	renew := func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		nl, err := p.opts.Leases.RenewLease(context.WithoutCancel(ctx), cur, ttl)
		if err != nil {
			if errors.Is(err, overwatch.ErrLeaseLost) {
				p.leaseLost.Add(1)
				cancel(err)
			}
			return err
		}
		cur = nl
		return nil
	}
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-t.C:
				if err := renew(lctx); errors.Is(err, overwatch.ErrLeaseLost) {
					p.log.Warn("processing: lease lost while working", "key", key, "err", err)
					return
				}
			}
		}
	}()
	fctx := context.WithValue(lctx, fenceKey{}, renew)
	defer func() {
		cancel(nil)
		<-renewed
		if cause := context.Cause(lctx); errors.Is(cause, overwatch.ErrLeaseLost) {
			err = fmt.Errorf("processing: %s: %w", key, cause)
			return
		}
		if late := time.Since(cur.Expires); late > 0 {
			// Not renewed in time (the process was paused or starved
			// beyond the TTL): another worker may have taken the lease
			// and done this work too. Its bundle is as good as ours;
			// the newer snapshot wins the next round.
			p.log.Warn("processing: lease expired while working", "key", key, "by", late)
		}
		if rerr := p.opts.Leases.ReleaseLease(context.WithoutCancel(ctx), cur); rerr != nil {
			p.log.Warn("processing: releasing lease", "key", key, "err", rerr)
		}
	}()

	snap, subs, check := w.snap, w.subs, !w.force
	// Work waits in queues: by the time the lease is ours, a newer
	// snapshot may be stored (and processed by the previous holder).
	// Processing the older one would take the views back in time.
	if newest, ok := p.newestSnapshot(fctx, snap); ok && snap.SnapshotRef.Before(newest.SnapshotRef) {
		snap, subs = newest, nil
	}
	for {
		if check && p.coversAll(fctx, snap, subs) {
			p.leaseSkipped.Add(1)
			return false, nil
		}
		p.leaseProcessed.Add(1)
		if err := p.process(fctx, snap, subs); err != nil {
			return false, err
		}
		// A snapshot stored while we worked is ours too: its announcement
		// may have reached other workers only, who found the lease taken.
		newest, ok := p.newestSnapshot(fctx, snap)
		if !ok || !snap.SnapshotRef.Before(newest.SnapshotRef) {
			return false, nil
		}
		snap, subs, check = newest, nil, true
	}
}

// newestSnapshot returns the newest stored snapshot of s's run and
// receiver subsystem.
func (p *Processor) newestSnapshot(ctx context.Context, s overwatch.SnapshotInfo) (overwatch.SnapshotInfo, bool) {
	snaps, err := p.store.Snapshots(ctx, s.Run, s.Subsystem)
	if err != nil || len(snaps) == 0 {
		return overwatch.SnapshotInfo{}, false
	}
	return snaps[len(snaps)-1], true
}

// coversAll reports whether the views of every subsystem s feeds (those
// of subs when set) are up to date with s.
func (p *Processor) coversAll(ctx context.Context, s overwatch.SnapshotInfo, subs map[string]bool) bool {
	run, err := p.store.RunInfo(ctx, s.Run)
	if err != nil {
		return false
	}
	for _, sub := range run.Subsystems {
		if sub.FilesFrom == s.Subsystem && (subs == nil || subs[sub.Name]) && !p.upToDate(ctx, s.Run, sub.Name, s) {
			return false
		}
	}
	return true
}
