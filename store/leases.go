package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// Leases live in the index (table leases, one row per queue and key):
// a grant is one statement — an upsert whose update applies only when the
// lease is free, expired or already the caller's — so it is atomic on
// SQLite (one writer at a time) and on PostgreSQL (the row is locked by
// the conflicting insert) alike, and every process and machine on the
// index sees the same holder. Tokens grow with every grant of a key;
// a release keeps the row (with no holder), so a token is never reused.
// Leases are not rebuilt: they are only valid while their holders live.

var _ overwatch.Leaser = (*Store)(nil)

func validLease(queue, key, holder string) error {
	switch {
	case queue == "" || len(queue) > 64:
		return fmt.Errorf("store: lease queue %q must be 1–64 bytes", queue)
	case key == "" || len(key) > 512:
		return fmt.Errorf("store: lease key %q must be 1–512 bytes", key)
	case holder == "" || len(holder) > 256:
		return fmt.Errorf("store: lease holder %q must be 1–256 bytes", holder)
	}
	return nil
}

// TryLease implements overwatch.Leaser.
func (s *Store) TryLease(ctx context.Context, queue, key, holder string, ttl time.Duration) (overwatch.Lease, error) {
	if err := validLease(queue, key, holder); err != nil {
		return overwatch.Lease{}, err
	}
	if ttl <= 0 {
		return overwatch.Lease{}, fmt.Errorf("store: lease %s/%s: ttl %v must be positive", queue, key, ttl)
	}
	now := time.Now()
	exp := now.Add(ttl)
	var token int64
	err := s.x.w.QueryRowContext(ctx, s.x.d.q(`INSERT INTO leases (queue, k, holder, token, expires) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (queue, k) DO UPDATE SET holder = excluded.holder, token = leases.token + 1, expires = excluded.expires
		WHERE leases.expires <= ? OR leases.holder = excluded.holder
		RETURNING token`), queue, key, holder, exp.UnixNano(), now.UnixNano()).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) {
		return overwatch.Lease{}, fmt.Errorf("store: lease %s/%s: %w", queue, key, overwatch.ErrLeaseBusy)
	}
	if err != nil {
		return overwatch.Lease{}, fmt.Errorf("store: lease %s/%s: %w", queue, key, err)
	}
	return overwatch.Lease{Queue: queue, Key: key, Holder: holder, Token: token, Expires: exp}, nil
}

// RenewLease implements overwatch.Leaser. An expired lease nobody took
// since is renewed (its token still matches).
func (s *Store) RenewLease(ctx context.Context, l overwatch.Lease, ttl time.Duration) (overwatch.Lease, error) {
	if ttl <= 0 {
		return overwatch.Lease{}, fmt.Errorf("store: lease %s/%s: ttl %v must be positive", l.Queue, l.Key, ttl)
	}
	exp := time.Now().Add(ttl)
	res, err := s.x.w.ExecContext(ctx, s.x.d.q(`UPDATE leases SET expires = ? WHERE queue = ? AND k = ? AND holder = ? AND token = ?`),
		exp.UnixNano(), l.Queue, l.Key, l.Holder, l.Token)
	if err != nil {
		return overwatch.Lease{}, fmt.Errorf("store: renew lease %s/%s: %w", l.Queue, l.Key, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return overwatch.Lease{}, fmt.Errorf("store: renew lease %s/%s (token %d): %w", l.Queue, l.Key, l.Token, overwatch.ErrLeaseLost)
	}
	l.Expires = exp
	return l, nil
}

// ReleaseLease implements overwatch.Leaser.
func (s *Store) ReleaseLease(ctx context.Context, l overwatch.Lease) error {
	_, err := s.x.w.ExecContext(ctx, s.x.d.q(`UPDATE leases SET holder = '', expires = 0 WHERE queue = ? AND k = ? AND holder = ? AND token = ?`),
		l.Queue, l.Key, l.Holder, l.Token)
	if err != nil {
		return fmt.Errorf("store: release lease %s/%s: %w", l.Queue, l.Key, err)
	}
	return nil
}
