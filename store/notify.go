package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/overwatch-dqm/overwatch"
)

// On PostgreSQL a stored snapshot is announced to every Store of the
// cluster with NOTIFY on this channel, sent by the transaction that
// indexes it (so delivered exactly when it commits); each Store LISTENs on
// one dedicated connection. SQLite has no such thing: there the Stores of
// one machine poll the snapshots' row numbers (see poll).
const notifyChannel = "overwatch_snapshots"

// notice is the payload of a notification.
type notice struct {
	Writer string                 `json:"w"`
	Info   overwatch.SnapshotInfo `json:"i"`
}

// notifySnapshot sends the notification of info inside tx (PostgreSQL
// only).
func (x *db) notifySnapshot(ctx context.Context, tx *sql.Tx, writer string, info overwatch.SnapshotInfo) error {
	if !x.d.dollar {
		return nil
	}
	b, err := json.Marshal(notice{Writer: writer, Info: info})
	if err != nil {
		return fmt.Errorf("store: encode announcement: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", notifyChannel, string(b)); err != nil {
		return fmt.Errorf("store: announce snapshot: %w", err)
	}
	return nil
}

// listen announces the snapshots other Stores index on PostgreSQL until
// ctx ends. A lost connection is reopened after a second; what was
// announced meanwhile is missed (processing's periodic scan catches up).
func (s *Store) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("store: PostgreSQL announcements interrupted, listening again", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := s.x.r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("store: not a pgx connection")
		}
		pc := sc.Conn()
		if _, err := pc.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
			return err
		}
		s.listenOnce1.Do(func() { close(s.listening) })
		for {
			n, err := pc.WaitForNotification(ctx)
			if err != nil {
				return err
			}
			var nt notice
			if err := json.Unmarshal([]byte(n.Payload), &nt); err != nil {
				s.log.Warn("store: unreadable announcement ignored", "err", err)
				continue
			}
			if nt.Writer != s.writer {
				s.announce(nt.Info)
			}
		}
	})
}
