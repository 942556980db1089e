// Package transfer copies every received snapshot to other sites: blob
// buckets (an EOS directory through XRootD, an S3 bucket) or another
// Overwatch's DQM upload endpoint. It is the original's
// overwatchReceiverDataTransfer, made resumable and verified:
//
//   - nothing missed: it subscribes to the store's announcements, then
//     scans the whole store once, the recent runs periodically and the
//     whole store every tenth period (a reader of announcements may miss
//     some);
//   - never sent twice: each destination has a durable progress log (one
//     fsynced line per verified snapshot) read back at start, and the
//     destinations refuse to replace what they hold (blob.ErrExist, DQM
//     409), so a snapshot sent just before a crash is recognised, not
//     stored again;
//   - verified: after a put the destination's bytes are read back and
//     their SHA-256 compared with the source's;
//   - bounded retries with back-off (3 s, 6 s, …), then the snapshot waits
//     for the next scan; nothing is dropped;
//   - its lag (age of the oldest snapshot not yet at a destination),
//     counters and errors are in Stats, for /metrics and the status page.
package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
)

// Source is what the transfer reads: the store's snapshots, their
// announcements and a run listing to scan.
type Source interface {
	overwatch.Watcher
	Runs(ctx context.Context, q overwatch.RunQuery) ([]overwatch.RunInfo, error)
	Snapshots(ctx context.Context, run int, subsystem string) ([]overwatch.SnapshotInfo, error)
	OpenSnapshot(ctx context.Context, ref overwatch.SnapshotRef) (io.ReadCloser, error)
}

// Destination is one site receiving copies.
type Destination interface {
	// Name identifies the destination in the progress log, logs and
	// metrics (letters, digits, '-' and '_').
	Name() string
	// Send stores the snapshot s read from r and returns where the
	// destination holds it. The error wraps blob.ErrExist when the
	// destination already holds something there (the location is then
	// returned too); the destination never replaces it.
	Send(ctx context.Context, s overwatch.SnapshotInfo, r io.Reader) (loc string, err error)
	// Sum reads back what the destination holds at loc and returns its
	// lower-case hex SHA-256.
	Sum(ctx context.Context, loc string) (string, error)
}

// Config configures a Transfer.
type Config struct {
	Source       Source
	Destinations []Destination
	// StateDir holds the progress logs (<StateDir>/<destination>.log).
	StateDir string
	// Scan is the period of the scans of recent runs (default 20 s, the
	// original's dataTransferTimeToSleep).
	Scan time.Duration
	// Retries is the number of attempts after a failed one (default 2,
	// as the original), RetryDelay the first pause (default 3 s), doubled
	// after each failure. RetryDelay < 0 means no pause (tests).
	Retries    int
	RetryDelay time.Duration
	// Logger receives the logs (slog.Default when nil).
	Logger *slog.Logger
}

// Stats describes one destination's progress.
type Stats struct {
	Destination string
	// Pending is the number of known snapshots not yet at the
	// destination; Oldest the time of the oldest of them (zero when none).
	Pending int
	Oldest  time.Time
	// Lag is now - Oldest (0 when nothing is pending).
	Lag time.Duration
	// Sent counts snapshots stored and verified by this process; Known
	// those already there (found at the destination); Bytes what was sent.
	Sent, Known, Bytes int64
	// Failures counts failed attempts, Conflicts snapshots whose name is
	// taken at the destination by other bytes (logged, never retried).
	Failures, Conflicts int64
	// Done is the number of snapshots in the progress log.
	Done int
	// LastSent is when the last snapshot was verified at the destination.
	LastSent time.Time
	// LastError is the last failure's message, empty after a success.
	LastError string
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Transfer copies snapshots to destinations; Run does the work.
type Transfer struct {
	cfg   Config
	log   *slog.Logger
	dests []*dest
}

type dest struct {
	d    Destination
	prog *progress
	wake chan struct{}

	mu      sync.Mutex
	pending map[string]pendingItem
	st      Stats
}

type pendingItem struct {
	s         overwatch.SnapshotInfo
	notBefore time.Time // a failed snapshot waits until then
}

// New checks cfg and opens the progress logs.
func New(cfg Config) (*Transfer, error) {
	if cfg.Source == nil || len(cfg.Destinations) == 0 || cfg.StateDir == "" {
		return nil, errors.New("transfer: Source, Destinations and StateDir are required")
	}
	if cfg.Scan <= 0 {
		cfg.Scan = 20 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 3 * time.Second
	}
	t := &Transfer{cfg: cfg, log: cfg.Logger}
	if t.log == nil {
		t.log = slog.Default()
	}
	seen := map[string]bool{}
	for _, d := range cfg.Destinations {
		name := d.Name()
		if !validName.MatchString(name) || seen[name] {
			t.Close()
			return nil, fmt.Errorf("transfer: destination name %q is invalid or repeated", name)
		}
		seen[name] = true
		p, err := openProgress(cfg.StateDir, name)
		if err != nil {
			t.Close()
			return nil, err
		}
		t.dests = append(t.dests, &dest{d: d, prog: p, wake: make(chan struct{}, 1), pending: map[string]pendingItem{},
			st: Stats{Destination: name}})
	}
	return t, nil
}

// Close closes the progress logs.
func (t *Transfer) Close() error {
	var errs []error
	for _, d := range t.dests {
		errs = append(errs, d.prog.close())
	}
	return errors.Join(errs...)
}

// Stats returns every destination's progress, in configuration order.
func (t *Transfer) Stats() []Stats {
	now := time.Now()
	out := make([]Stats, 0, len(t.dests))
	for _, d := range t.dests {
		d.mu.Lock()
		st := d.st
		st.Pending = 0
		st.Oldest = time.Time{}
		for _, it := range d.pending {
			if d.prog.has(it.s.Path) {
				continue // recorded, leaving the queue right now
			}
			st.Pending++
			if st.Oldest.IsZero() || it.s.Time.Before(st.Oldest) {
				st.Oldest = it.s.Time
			}
		}
		d.mu.Unlock()
		if !st.Oldest.IsZero() {
			st.Lag = max(now.Sub(st.Oldest), 0)
		}
		st.Done = d.prog.len()
		out = append(out, st)
	}
	return out
}

// Run transfers until ctx is done: announced snapshots at once, the
// others found by the scans. It returns ctx's error, or the first scan's
// error when the store cannot be listed at all.
func (t *Transfer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	announced := t.cfg.Source.Watch(ctx) // before the scan: nothing falls between
	if err := t.scan(ctx, time.Time{}); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for _, d := range t.dests {
		wg.Add(1)
		go func() { defer wg.Done(); t.work(ctx, d) }()
	}
	defer wg.Wait()
	tick := time.NewTicker(t.cfg.Scan)
	defer tick.Stop()
	lastScan, scans := time.Now(), 0
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case s, ok := <-announced:
			if !ok {
				announced = nil
				continue
			}
			t.enqueue(s)
		case <-tick.C:
			// Recent runs only: the runs that got snapshots since a little
			// before the last scan (a run's End is its newest snapshot's
			// time stamp). Every tenth scan is complete, for snapshots
			// stored late with old time stamps and missed announcements.
			since := lastScan.Add(-2 * t.cfg.Scan)
			if scans++; scans%10 == 0 {
				since = time.Time{}
			}
			lastScan = time.Now()
			if err := t.scan(ctx, since); err != nil && ctx.Err() == nil {
				t.log.Warn("transfer: scan failed", "err", err)
			}
		}
	}
}

// scan enqueues the snapshots of the runs with snapshots since since
// (every run when since is zero).
func (t *Transfer) scan(ctx context.Context, since time.Time) error {
	before := 0
	for {
		runs, err := t.cfg.Source.Runs(ctx, overwatch.RunQuery{Limit: 200, Before: before})
		if err != nil {
			return fmt.Errorf("transfer: listing runs: %w", err)
		}
		if len(runs) == 0 {
			return nil
		}
		recent := false
		for _, r := range runs {
			if !since.IsZero() && r.End.Before(since) {
				continue
			}
			recent = true
			done := map[string]bool{}
			for _, sub := range r.Subsystems {
				files := sub.FilesFrom
				if files == "" {
					files = sub.Name
				}
				if done[files] {
					continue
				}
				done[files] = true
				snaps, err := t.cfg.Source.Snapshots(ctx, r.Number, files)
				if err != nil {
					if errors.Is(err, overwatch.ErrNotFound) {
						continue
					}
					return fmt.Errorf("transfer: listing snapshots of run %d %s: %w", r.Number, files, err)
				}
				for _, s := range snaps {
					t.enqueue(s)
				}
			}
		}
		// Runs are listed newest first; a page without a recent run ends
		// a partial scan.
		if !since.IsZero() && !recent {
			return nil
		}
		before = runs[len(runs)-1].Number
	}
}

// enqueue adds a snapshot to every destination that lacks it.
func (t *Transfer) enqueue(s overwatch.SnapshotInfo) {
	if s.Path == "" || !blob.ValidKey(s.Path) {
		t.log.Warn("transfer: snapshot without a valid path skipped", "snapshot", s.SnapshotRef.String(), "path", s.Path)
		return
	}
	for _, d := range t.dests {
		if d.prog.has(s.Path) {
			continue
		}
		d.mu.Lock()
		_, queued := d.pending[s.Path]
		if !queued {
			d.pending[s.Path] = pendingItem{s: s}
		}
		d.mu.Unlock()
		if !queued {
			select {
			case d.wake <- struct{}{}:
			default:
			}
		}
	}
}

// next returns the oldest pending snapshot that may be tried now, or
// false and how long to wait.
func (d *dest) next(now time.Time) (overwatch.SnapshotInfo, bool, time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var best *pendingItem
	wait := time.Duration(-1)
	for _, it := range d.pending {
		if now.Before(it.notBefore) {
			if w := it.notBefore.Sub(now); wait < 0 || w < wait {
				wait = w
			}
			continue
		}
		if best == nil || it.s.Time.Before(best.s.Time) || it.s.Time.Equal(best.s.Time) && it.s.Path < best.s.Path {
			it := it
			best = &it
		}
	}
	if best == nil {
		return overwatch.SnapshotInfo{}, false, wait
	}
	return best.s, true, 0
}

func (t *Transfer) work(ctx context.Context, d *dest) {
	for {
		s, ok, wait := d.next(time.Now())
		if !ok {
			var timer <-chan time.Time
			var tm *time.Timer
			if wait >= 0 {
				tm = time.NewTimer(wait)
				timer = tm.C
			}
			select {
			case <-ctx.Done():
			case <-d.wake:
			case <-timer:
			}
			if tm != nil {
				tm.Stop()
			}
			if ctx.Err() != nil {
				return
			}
			continue
		}
		err := t.sendRetrying(ctx, d, s)
		if ctx.Err() != nil {
			return
		}
		d.mu.Lock()
		if err != nil {
			// Bounded retries are over: the snapshot waits for the next
			// scan period, never dropped.
			d.pending[s.Path] = pendingItem{s: s, notBefore: time.Now().Add(t.cfg.Scan)}
			d.st.LastError = err.Error()
		} else {
			delete(d.pending, s.Path)
		}
		d.mu.Unlock()
		if err != nil {
			t.log.Error("transfer: snapshot not transferred, will retry", "destination", d.st.Destination, "snapshot", s.Path, "err", err)
		}
	}
}

// errConflict marks a destination holding other bytes under the name.
var errConflict = errors.New("the destination holds other bytes under this name")

func (t *Transfer) sendRetrying(ctx context.Context, d *dest, s overwatch.SnapshotInfo) error {
	delay := t.cfg.RetryDelay
	var err error
	for attempt := 0; attempt <= t.cfg.Retries; attempt++ {
		if attempt > 0 && delay > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(delay):
			}
			delay *= 2
		}
		err = t.send(ctx, d, s)
		if err == nil || ctx.Err() != nil {
			return err
		}
		if errors.Is(err, errConflict) {
			d.mu.Lock()
			d.st.Conflicts++
			d.mu.Unlock()
			t.log.Error("transfer: conflict, snapshot not transferred", "destination", d.st.Destination, "snapshot", s.Path, "err", err)
			return d.prog.add(recConflict, "", s.Path)
		}
		d.mu.Lock()
		d.st.Failures++
		d.mu.Unlock()
		t.log.Warn("transfer: attempt failed", "destination", d.st.Destination, "snapshot", s.Path, "attempt", attempt+1, "err", err)
	}
	return err
}

// send copies one snapshot and verifies it.
func (t *Transfer) send(ctx context.Context, d *dest, s overwatch.SnapshotInfo) error {
	rc, err := t.cfg.Source.OpenSnapshot(ctx, s.SnapshotRef)
	if err != nil {
		return fmt.Errorf("opening %s: %w", s.Path, err)
	}
	defer rc.Close()
	h := sha256.New()
	cr := &countReader{r: io.TeeReader(rc, h)}
	loc, err := d.d.Send(ctx, s, cr)
	existed := errors.Is(err, blob.ErrExist)
	if err != nil && !existed {
		return fmt.Errorf("sending %s: %w", s.Path, err)
	}
	// Whatever Send left unread (all of it when the destination had it
	// already) still counts for the source's checksum.
	if _, err := io.Copy(h, rc); err != nil {
		return fmt.Errorf("reading %s: %w", s.Path, err)
	}
	want := hex.EncodeToString(h.Sum(nil))
	got, err := d.d.Sum(ctx, loc)
	if err != nil {
		return fmt.Errorf("verifying %s at %s: %w", s.Path, loc, err)
	}
	if got != want {
		if existed {
			return fmt.Errorf("%s at %s: %w (sha256 %s, ours %s)", s.Path, loc, errConflict, got, want)
		}
		return fmt.Errorf("verifying %s at %s: sha256 %s, sent %s", s.Path, loc, got, want)
	}
	if err := d.prog.add(recOK, want, s.Path); err != nil {
		return err
	}
	d.mu.Lock()
	if existed {
		d.st.Known++
	} else {
		d.st.Sent++
		d.st.Bytes += cr.n
	}
	d.st.LastSent = time.Now()
	d.st.LastError = ""
	d.mu.Unlock()
	t.log.Info("transfer: snapshot at destination", "destination", d.st.Destination, "snapshot", s.Path, "location", loc, "sha256", want, "existed", existed)
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
