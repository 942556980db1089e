package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/store/blob"
)

// Versioned documents (overwatch.DocumentStore). Every version is an
// immutable object on the store's bucket,
//
//	documents/<kind>/<OutName(name)>/<version, 12 digits>.json
//
// holding the whole overwatch.Document as JSON, and a row of the index
// table documents. The bucket's put-if-absent is what decides between two
// writers of the same version, in this process or on another machine, so
// the index needs no lock of its own; a version whose object exists but
// whose row is missing (a writer that died between the two) is indexed by
// the next writer that meets it and by store rebuild.

const documentsDir = "documents"

// maxDocumentObject bounds a stored version's object (the body plus the
// document's other fields).
const maxDocumentObject = overwatch.MaxDocumentBody + 16<<10

func documentKey(kind, name string, v int64) string {
	return fmt.Sprintf("%s/%s/%s/%012d.json", documentsDir, kind, OutName(name), v)
}

// PutDocument writes version prev+1 of (d.Kind, d.Name); see
// overwatch.DocumentStore.
func (s *Store) PutDocument(ctx context.Context, d overwatch.Document, prev int64) (overwatch.Document, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.Document{}, err
	}
	if err := overwatch.CheckDocument(d); err != nil {
		return overwatch.Document{}, fmt.Errorf("store: put document: %w", err)
	}
	if prev < 0 {
		return overwatch.Document{}, fmt.Errorf("store: put document %s/%s: negative previous version %d", d.Kind, d.Name, prev)
	}
	newest, err := s.x.newestDocumentVersion(ctx, s.x.r, d.Kind, d.Name)
	if err != nil {
		return overwatch.Document{}, err
	}
	if newest != prev {
		return overwatch.Document{}, fmt.Errorf("store: put document %s/%s: read version %d, newest is %d: %w", d.Kind, d.Name, prev, newest, overwatch.ErrVersionConflict)
	}
	d.Version = prev + 1
	d.Time = time.Now().UTC().Truncate(time.Microsecond)
	if d.Deleted {
		d.Body = nil
	} else {
		var compact bytes.Buffer
		if err := json.Compact(&compact, d.Body); err != nil {
			return overwatch.Document{}, fmt.Errorf("store: put document %s/%s: %w", d.Kind, d.Name, err)
		}
		d.Body = compact.Bytes()
	}
	b, err := json.Marshal(d)
	if err != nil {
		return overwatch.Document{}, fmt.Errorf("store: encode document %s/%s: %w", d.Kind, d.Name, err)
	}
	key := documentKey(d.Kind, d.Name, d.Version)
	if _, err := s.bucket.Put(ctx, key, bytes.NewReader(b)); err != nil {
		if errors.Is(err, blob.ErrExist) {
			// Another writer was first; make sure its version is indexed
			// even if it died before indexing it.
			if rerr := s.indexDocumentObject(ctx, key); rerr != nil {
				s.opts.Logger.Warn("store: index a document version found on the bucket", "key", key, "err", rerr)
			}
			return overwatch.Document{}, fmt.Errorf("store: put document %s/%s version %d: %w", d.Kind, d.Name, d.Version, overwatch.ErrVersionConflict)
		}
		return overwatch.Document{}, fmt.Errorf("store: put document %s/%s: %w", d.Kind, d.Name, err)
	}
	if err := s.x.tx(ctx, func(tx *sql.Tx) error { return s.x.putDocument(ctx, tx, d) }); err != nil {
		return overwatch.Document{}, err
	}
	return d, nil
}

// indexDocumentObject reads the document object under key and indexes it.
func (s *Store) indexDocumentObject(ctx context.Context, key string) error {
	d, err := readDocumentObject(ctx, s.bucket, key)
	if err != nil {
		return err
	}
	return s.x.tx(ctx, func(tx *sql.Tx) error { return s.x.putDocument(ctx, tx, d) })
}

// readDocumentObject reads and checks one stored version.
func readDocumentObject(ctx context.Context, b blob.Bucket, key string) (overwatch.Document, error) {
	var d overwatch.Document
	rc, err := b.Open(ctx, key, 0, maxDocumentObject+1)
	if err != nil {
		return d, fmt.Errorf("store: read document %s: %w", key, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		return d, fmt.Errorf("store: read document %s: %w", key, err)
	}
	if len(raw) > maxDocumentObject {
		return d, fmt.Errorf("store: document %s: larger than %d bytes", key, maxDocumentObject)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("store: document %s: %w", key, err)
	}
	if err := overwatch.CheckDocument(d); err != nil {
		return d, fmt.Errorf("store: document %s: %w", key, err)
	}
	if d.Version <= 0 || documentKey(d.Kind, d.Name, d.Version) != key {
		return d, fmt.Errorf("store: document %s: holds %s/%s version %d, which belongs elsewhere", key, d.Kind, d.Name, d.Version)
	}
	return d, nil
}

// Document returns one version of a document; see overwatch.DocumentStore.
func (s *Store) Document(ctx context.Context, kind, name string, v int64) (overwatch.Document, error) {
	if err := ctx.Err(); err != nil {
		return overwatch.Document{}, err
	}
	if !overwatch.ValidDocumentKind(kind) || !overwatch.ValidDocumentName(name) || v < 0 {
		return overwatch.Document{}, fmt.Errorf("store: document %q/%q version %d: invalid kind, name or version", kind, name, v)
	}
	return s.x.document(ctx, kind, name, v)
}

// Documents lists the newest live version of every document of kind; see
// overwatch.DocumentStore.
func (s *Store) Documents(ctx context.Context, kind string) ([]overwatch.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !overwatch.ValidDocumentKind(kind) {
		return nil, fmt.Errorf("store: documents of kind %q: invalid kind", kind)
	}
	return s.x.documents(ctx, kind)
}

// DocumentHistory lists every version of a document, oldest first; see
// overwatch.DocumentStore.
func (s *Store) DocumentHistory(ctx context.Context, kind, name string) ([]overwatch.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !overwatch.ValidDocumentKind(kind) || !overwatch.ValidDocumentName(name) {
		return nil, fmt.Errorf("store: history of document %q/%q: invalid kind or name", kind, name)
	}
	return s.x.documentHistory(ctx, kind, name)
}

// syncDocuments indexes every document version on the bucket (a rebuild)
// and returns their number. Unreadable objects are logged and skipped.
func syncDocuments(ctx context.Context, x *db, tx execer, b blob.Bucket, opts Options) (int, error) {
	n := 0
	err := b.List(ctx, documentsDir+"/", func(info blob.Info) error {
		if !strings.HasSuffix(info.Key, ".json") {
			return nil
		}
		d, err := readDocumentObject(ctx, b, info.Key)
		if err != nil {
			opts.Logger.Warn("store: rebuild: document skipped", "key", info.Key, "err", err)
			return nil
		}
		if err := x.putDocument(ctx, tx, d); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("store: rebuild: documents: %w", err)
	}
	return n, nil
}

// The SQL side: one row per version.

const documentColumns = "kind, name, version, author, t, comment, deleted, body"

func (x *db) putDocument(ctx context.Context, e execer, d overwatch.Document) error {
	del := 0
	if d.Deleted {
		del = 1
	}
	_, err := e.ExecContext(ctx, x.d.q(`INSERT INTO documents (`+documentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, name, version) DO NOTHING`),
		d.Kind, d.Name, d.Version, d.Author, d.Time.UnixNano(), d.Comment, del, string(d.Body))
	if err != nil {
		return fmt.Errorf("store: index document %s/%s version %d: %w", d.Kind, d.Name, d.Version, err)
	}
	return nil
}

func (x *db) newestDocumentVersion(ctx context.Context, e execer, kind, name string) (int64, error) {
	var v sql.NullInt64
	err := e.QueryRowContext(ctx, x.d.q("SELECT MAX(version) FROM documents WHERE kind = ? AND name = ?"), kind, name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("store: read document %s/%s: %w", kind, name, err)
	}
	return v.Int64, nil
}

func scanDocument(sc interface{ Scan(...any) error }) (overwatch.Document, error) {
	var d overwatch.Document
	var t, del int64
	var body string
	if err := sc.Scan(&d.Kind, &d.Name, &d.Version, &d.Author, &t, &d.Comment, &del, &body); err != nil {
		return d, err
	}
	d.Time = time.Unix(0, t).UTC()
	d.Deleted = del != 0
	if body != "" {
		d.Body = json.RawMessage(body)
	}
	return d, nil
}

func (x *db) document(ctx context.Context, kind, name string, v int64) (overwatch.Document, error) {
	q := "SELECT " + documentColumns + " FROM documents WHERE kind = ? AND name = ? AND version = ?"
	args := []any{kind, name, v}
	if v == 0 {
		q = "SELECT " + documentColumns + " FROM documents WHERE kind = ? AND name = ? ORDER BY version DESC LIMIT 1"
		args = args[:2]
	}
	d, err := scanDocument(x.r.QueryRowContext(ctx, x.d.q(q), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("store: document %s/%s version %d: %w", kind, name, v, overwatch.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("store: read document %s/%s: %w", kind, name, err)
	}
	return d, nil
}

func (x *db) documentRows(ctx context.Context, query string, args ...any) ([]overwatch.Document, error) {
	rows, err := x.r.QueryContext(ctx, x.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list documents: %w", err)
	}
	defer rows.Close()
	var out []overwatch.Document
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list documents: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list documents: %w", err)
	}
	return out, nil
}

func (x *db) documents(ctx context.Context, kind string) ([]overwatch.Document, error) {
	return x.documentRows(ctx, `SELECT `+documentColumns+` FROM documents d WHERE kind = ? AND deleted = 0
		AND version = (SELECT MAX(version) FROM documents n WHERE n.kind = d.kind AND n.name = d.name)
		ORDER BY name`, kind)
}

func (x *db) documentHistory(ctx context.Context, kind, name string) ([]overwatch.Document, error) {
	return x.documentRows(ctx, "SELECT "+documentColumns+" FROM documents WHERE kind = ? AND name = ? ORDER BY version", kind, name)
}
