package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The document kinds the suite writes.
const (
	docKind  = "storetest"
	docKind2 = "storetest-other"
)

func (su *suite) documents(t *testing.T, s overwatch.Store) overwatch.DocumentStore {
	t.Helper()
	ds, ok := s.(overwatch.DocumentStore)
	if !ok {
		if su.o.Documents {
			t.Fatalf("%T does not implement overwatch.DocumentStore, and Options.Documents requires it", s)
		}
		t.Skipf("%T does not implement overwatch.DocumentStore", s)
	}
	return ds
}

func documentString(d overwatch.Document) string {
	return fmt.Sprintf("%s/%q v%d by %q at %s comment %q deleted %v body %s", d.Kind, d.Name, d.Version, d.Author, ts(d.Time), d.Comment, d.Deleted, d.Body)
}

func putDoc(t *testing.T, ds overwatch.DocumentStore, kind, name, body string, prev int64) overwatch.Document {
	t.Helper()
	d, err := ds.PutDocument(context.Background(), overwatch.Document{Kind: kind, Name: name, Author: "alice", Comment: "c" + strconv.FormatInt(prev, 10), Body: json.RawMessage(body)}, prev)
	require.NoError(t, err, "PutDocument %s/%s after version %d", kind, name, prev)
	return d
}

// fillDocuments stores documents of two kinds with histories, a
// tombstone and a revived document.
func fillDocuments(t *testing.T, ds overwatch.DocumentStore) {
	t.Helper()
	putDoc(t, ds, docKind, "shift/main", `{"tabs":[1]}`, 0)
	putDoc(t, ds, docKind, "shift/main", `{"tabs":[1,2]}`, 1)
	putDoc(t, ds, docKind, "EMC", `{"a":"é"}`, 0)
	putDoc(t, ds, docKind2, "EMC", `[1,2,3]`, 0)
	putDoc(t, ds, docKind, "gone", `{}`, 0)
	_, err := ds.PutDocument(context.Background(), overwatch.Document{Kind: docKind, Name: "gone", Deleted: true}, 1)
	require.NoError(t, err)
	putDoc(t, ds, docKind2, "back", `1`, 0)
	_, err = ds.PutDocument(context.Background(), overwatch.Document{Kind: docKind2, Name: "back", Deleted: true}, 1)
	require.NoError(t, err)
	putDoc(t, ds, docKind2, "back", `2`, 2)
}

func testDocumentRoundTrip(t *testing.T, su *suite) {
	ds := su.documents(t, su.store(t).S)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	d1 := putDoc(t, ds, docKind, "shift/main", `{"tabs":[1]}`, 0)
	assert.Equal(t, int64(1), d1.Version, "a new document is version 1")
	assert.Equal(t, "alice", d1.Author)
	assert.Equal(t, "c0", d1.Comment)
	assert.JSONEq(t, `{"tabs":[1]}`, string(d1.Body))
	assert.True(t, d1.Time.After(before) && d1.Time.Before(time.Now().Add(time.Second)), "Time is set by the store: %v", d1.Time)
	d2 := putDoc(t, ds, docKind, "shift/main", `{"tabs":[1,2]}`, 1)
	assert.Equal(t, int64(2), d2.Version)
	assert.False(t, d2.Time.Before(d1.Time), "versions are written in time order")

	got, err := ds.Document(ctx, docKind, "shift/main", 0)
	require.NoError(t, err)
	assert.Equal(t, documentString(d2), documentString(got), "version 0 reads the newest")
	got, err = ds.Document(ctx, docKind, "shift/main", 1)
	require.NoError(t, err)
	assert.Equal(t, documentString(d1), documentString(got), "an old version stays readable")
	hist, err := ds.DocumentHistory(ctx, docKind, "shift/main")
	require.NoError(t, err)
	require.Len(t, hist, 2)
	assert.Equal(t, []string{documentString(d1), documentString(d2)}, []string{documentString(hist[0]), documentString(hist[1])}, "history oldest first")

	putDoc(t, ds, docKind, "EMC", `{"a":"é"}`, 0)
	putDoc(t, ds, docKind2, "shift/main", `[1]`, 0) // same name, other kind: another document
	list, err := ds.Documents(ctx, docKind)
	require.NoError(t, err)
	var names []string
	for _, d := range list {
		names = append(names, d.Name)
		if d.Name == "shift/main" {
			assert.Equal(t, int64(2), d.Version, "Documents gives the newest version")
		}
	}
	assert.Equal(t, []string{"EMC", "shift/main"}, names, "Documents lists one kind, by name")

	// A tombstone hides the document from Documents but keeps its history;
	// a later version brings it back.
	del, err := ds.PutDocument(ctx, overwatch.Document{Kind: docKind, Name: "EMC", Author: "bob", Deleted: true}, 1)
	require.NoError(t, err)
	assert.True(t, del.Deleted)
	assert.Empty(t, del.Body)
	got, err = ds.Document(ctx, docKind, "EMC", 0)
	require.NoError(t, err)
	assert.True(t, got.Deleted, "the newest version of a deleted document is its tombstone")
	list, err = ds.Documents(ctx, docKind)
	require.NoError(t, err)
	require.Len(t, list, 1, "a deleted document is not listed")
	assert.Equal(t, "shift/main", list[0].Name)
	back := putDoc(t, ds, docKind, "EMC", `{"a":"é"}`, 2)
	assert.Equal(t, int64(3), back.Version)
	list, err = ds.Documents(ctx, docKind)
	require.NoError(t, err)
	assert.Len(t, list, 2, "a revived document is listed again")

	empty, err := ds.DocumentHistory(ctx, docKind, "never")
	require.NoError(t, err)
	assert.Empty(t, empty, "the history of a document that never existed is empty")
	none, err := ds.Documents(ctx, "storetest-none")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func testDocumentConflict(t *testing.T, su *suite) {
	ds := su.documents(t, su.store(t).S)
	ctx := context.Background()
	putDoc(t, ds, docKind, "x", `1`, 0)
	for _, prev := range []int64{0, 2, 7} {
		_, err := ds.PutDocument(ctx, overwatch.Document{Kind: docKind, Name: "x", Body: json.RawMessage(`2`)}, prev)
		assert.ErrorIs(t, err, overwatch.ErrVersionConflict, "writing after version %d when the newest is 1", prev)
	}
	hist, err := ds.DocumentHistory(ctx, docKind, "x")
	require.NoError(t, err)
	require.Len(t, hist, 1, "a refused write stores nothing")
	assert.Equal(t, "1", string(hist[0].Body))
}

func testDocumentInvalid(t *testing.T, su *suite) {
	ds := su.documents(t, su.store(t).S)
	ctx := context.Background()
	bad := []overwatch.Document{
		{Kind: "", Name: "x", Body: json.RawMessage(`1`)},
		{Kind: "Upper", Name: "x", Body: json.RawMessage(`1`)},
		{Kind: "a/b", Name: "x", Body: json.RawMessage(`1`)},
		{Kind: "../x", Name: "x", Body: json.RawMessage(`1`)},
		{Kind: docKind, Name: "", Body: json.RawMessage(`1`)},
		{Kind: docKind, Name: "a\x00b", Body: json.RawMessage(`1`)},
		{Kind: docKind, Name: "a\nb", Body: json.RawMessage(`1`)},
		{Kind: docKind, Name: strings.Repeat("n", 201), Body: json.RawMessage(`1`)},
		{Kind: docKind, Name: "x", Body: json.RawMessage(`{not json`)},
		{Kind: docKind, Name: "x"},
		{Kind: docKind, Name: "x", Deleted: true, Body: json.RawMessage(`1`)},
		{Kind: docKind, Name: "x", Body: json.RawMessage(`"` + strings.Repeat("a", overwatch.MaxDocumentBody) + `"`)},
	}
	for _, d := range bad {
		_, err := ds.PutDocument(ctx, d, 0)
		assert.Error(t, err, "kind %q name %q body of %d bytes", d.Kind, d.Name, len(d.Body))
		assert.NotErrorIs(t, err, overwatch.ErrVersionConflict)
	}
	_, err := ds.PutDocument(ctx, overwatch.Document{Kind: docKind, Name: "x", Body: json.RawMessage(`1`)}, -1)
	assert.Error(t, err, "a negative previous version")
	list, err := ds.Documents(ctx, docKind)
	require.NoError(t, err)
	assert.Empty(t, list, "nothing invalid is stored")
	_, err = ds.Document(ctx, docKind, "x", 0)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	putDoc(t, ds, docKind, "x", `1`, 0)
	_, err = ds.Document(ctx, docKind, "x", 2)
	assert.ErrorIs(t, err, overwatch.ErrNotFound, "a version not written yet")
	_, err = ds.Document(ctx, "BAD", "x", 0)
	assert.Error(t, err)
}

// incrementDocument adds 1 to the counter kept in (docKind, name) with
// read-modify-write retried on conflicts.
func incrementDocument(ctx context.Context, ds overwatch.DocumentStore, name string) error {
	for attempt := 0; attempt < 1000; attempt++ {
		n, prev := 0, int64(0)
		d, err := ds.Document(ctx, docKind, name, 0)
		switch {
		case errors.Is(err, overwatch.ErrNotFound):
		case err != nil:
			return err
		default:
			prev = d.Version
			if n, err = strconv.Atoi(string(d.Body)); err != nil {
				return err
			}
		}
		_, err = ds.PutDocument(ctx, overwatch.Document{Kind: docKind, Name: name, Body: json.RawMessage(strconv.Itoa(n + 1))}, prev)
		if errors.Is(err, overwatch.ErrVersionConflict) {
			continue
		}
		return err
	}
	return fmt.Errorf("no write after 1000 conflicts")
}

// concurrentDocuments runs 4 writers (alternating over stores) that
// increment one counter each times, then checks that no increment was
// lost and that the history holds every value once.
func concurrentDocuments(t *testing.T, stores ...overwatch.DocumentStore) {
	const writers, each = 4, 6
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		ds := stores[i%len(stores)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				if err := incrementDocument(ctx, ds, "counter"); err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, ds := range stores {
		d, err := ds.Document(ctx, docKind, "counter", 0)
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(writers*each), string(d.Body), "no increment is lost")
		hist, err := ds.DocumentHistory(ctx, docKind, "counter")
		require.NoError(t, err)
		require.Len(t, hist, writers*each, "one version per increment")
		for i, h := range hist {
			assert.Equal(t, int64(i+1), h.Version)
			assert.Equal(t, strconv.Itoa(i+1), string(h.Body), "version %d holds the value written after version %d", i+1, i)
		}
	}
}

func testDocumentConcurrent(t *testing.T, su *suite) {
	concurrentDocuments(t, su.documents(t, su.store(t).S))
}

func testSharedDocuments(t *testing.T, su *suite) {
	a := su.store(t).S
	da := su.documents(t, a)
	b := su.second(t, a)
	db := su.documents(t, b)
	putDoc(t, da, docKind, "seen", `{"by":"a"}`, 0)
	got, err := db.Document(context.Background(), docKind, "seen", 0)
	require.NoError(t, err, "a document written by one store is read by the other at once")
	assert.JSONEq(t, `{"by":"a"}`, string(got.Body))
	concurrentDocuments(t, da, db)
}
