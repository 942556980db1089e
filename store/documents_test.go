package store

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A writer that dies between storing a version's object and indexing it
// leaves the object alone on the bucket: the next writer of that version
// gets ErrVersionConflict and indexes the orphan, so the document moves
// on from there; a rebuild indexes it as well.
func TestDocumentOrphanVersionIsIndexed(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = s.PutDocument(ctx, overwatch.Document{Kind: "layout", Name: "shift", Body: json.RawMessage(`{"v":1}`)}, 0)
	require.NoError(t, err)

	// The dead writer's version 2: its object, no index row.
	orphan := overwatch.Document{Kind: "layout", Name: "shift", Version: 2, Author: "dead", Time: time.Now().UTC().Truncate(time.Microsecond), Body: json.RawMessage(`{"v":2}`)}
	b, err := json.Marshal(orphan)
	require.NoError(t, err)
	_, err = s.bucket.Put(ctx, documentKey("layout", "shift", 2), bytes.NewReader(b))
	require.NoError(t, err)
	d, err := s.Document(ctx, "layout", "shift", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(1), d.Version, "the orphan is not indexed yet")

	_, err = s.PutDocument(ctx, overwatch.Document{Kind: "layout", Name: "shift", Body: json.RawMessage(`{"v":"mine"}`)}, 1)
	require.ErrorIs(t, err, overwatch.ErrVersionConflict, "version 2 exists on the bucket")
	d, err = s.Document(ctx, "layout", "shift", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(2), d.Version, "the conflict indexed the orphan")
	assert.Equal(t, "dead", d.Author)
	_, err = s.PutDocument(ctx, overwatch.Document{Kind: "layout", Name: "shift", Body: json.RawMessage(`{"v":3}`)}, 2)
	require.NoError(t, err, "the document moves on after the orphan")

	// A rebuild restores every version from the bucket alone; an object
	// that is not a document is skipped.
	_, err = s.bucket.Put(ctx, "documents/layout/junk/000000000001.json", bytes.NewReader([]byte("not json")))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	st, err := Rebuild(ctx, dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	assert.Equal(t, 3, st.Documents)
	s, err = Open(dir, Options{Logger: quietLogger()})
	require.NoError(t, err)
	defer s.Close()
	hist, err := s.DocumentHistory(ctx, "layout", "shift")
	require.NoError(t, err)
	require.Len(t, hist, 3)
	assert.JSONEq(t, `{"v":3}`, string(hist[2].Body))
}
