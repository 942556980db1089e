package webapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/internal/fsutil"
)

// SessionRecord is the server-side record of a logged-in session.
type SessionRecord struct {
	User    string    `json:"user"`
	Expires time.Time `json:"expires"`
}

// SessionStore keeps the server-side records of the logged-in sessions: a
// session cookie is accepted only while its record exists, so logout ends
// a session at once, on every web replica that shares the store. ids are
// secret random strings; implementations store only a digest of them.
// Lookup and Delete errors wrap overwatch.ErrNotFound for an unknown (or
// expired) session.
type SessionStore interface {
	CreateSession(ctx context.Context, id string, rec SessionRecord) error
	LookupSession(ctx context.Context, id string) (SessionRecord, error)
	DeleteSession(ctx context.Context, id string) error
}

// DirSessions is the SessionStore of a data directory: one small file per
// session in .webapp/sessions (next to the users file), named by the
// SHA-256 of the session id, mode 0600, its modification time set to the
// expiry. Every replica serving the same data directory sees the same
// sessions; expired files are removed on later logins.
type DirSessions struct {
	dir string
	now func() time.Time

	mu        sync.Mutex
	lastPrune time.Time
}

// SessionsPath returns the session directory of a data directory.
func SessionsPath(dataDir string) string { return filepath.Join(dataDir, privateDirName, "sessions") }

// NewDirSessions returns the session store in dir (created on first use).
// now is the clock (nil: time.Now).
func NewDirSessions(dir string, now func() time.Time) *DirSessions {
	if now == nil {
		now = time.Now
	}
	return &DirSessions{dir: dir, now: now}
}

// sessionPruneEvery is how often logins remove expired session files.
const sessionPruneEvery = 10 * time.Minute

func (d *DirSessions) file(id string) string {
	s := sha256.Sum256([]byte(id))
	return filepath.Join(d.dir, hex.EncodeToString(s[:16]))
}

// CreateSession stores a session record durably.
func (d *DirSessions) CreateSession(ctx context.Context, id string, rec SessionRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("webapp: encode session: %w", err)
	}
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return fmt.Errorf("webapp: session directory: %w", err)
	}
	p := d.file(id)
	if err := fsutil.WriteFileAtomic(p, data, 0o600, true); err != nil {
		return fmt.Errorf("webapp: store session: %w", err)
	}
	if err := os.Chtimes(p, rec.Expires, rec.Expires); err != nil {
		return fmt.Errorf("webapp: store session: %w", err)
	}
	d.prune()
	return nil
}

// LookupSession returns the record of a live session.
func (d *DirSessions) LookupSession(ctx context.Context, id string) (SessionRecord, error) {
	if err := ctx.Err(); err != nil {
		return SessionRecord{}, err
	}
	data, err := os.ReadFile(d.file(id))
	if errors.Is(err, os.ErrNotExist) {
		return SessionRecord{}, fmt.Errorf("webapp: session: %w", overwatch.ErrNotFound)
	}
	if err != nil {
		return SessionRecord{}, fmt.Errorf("webapp: read session: %w", err)
	}
	var rec SessionRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return SessionRecord{}, fmt.Errorf("webapp: session file: %w", err)
	}
	if !d.now().Before(rec.Expires) {
		return SessionRecord{}, fmt.Errorf("webapp: session expired: %w", overwatch.ErrNotFound)
	}
	return rec, nil
}

// DeleteSession removes a session record.
func (d *DirSessions) DeleteSession(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := os.Remove(d.file(id))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("webapp: session: %w", overwatch.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("webapp: delete session: %w", err)
	}
	return nil
}

// prune removes expired session files, at most once per sessionPruneEvery.
func (d *DirSessions) prune() {
	d.mu.Lock()
	now := d.now()
	if now.Sub(d.lastPrune) < sessionPruneEvery {
		d.mu.Unlock()
		return
	}
	d.lastPrune = now
	d.mu.Unlock()
	ents, err := os.ReadDir(d.dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && !now.Before(info.ModTime()) {
			_ = os.Remove(filepath.Join(d.dir, e.Name()))
		}
	}
}
