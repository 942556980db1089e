package processing

import (
	"context"
	"github.com/overwatch-dqm/overwatch/internal/histtest"
	"testing"
	"time"

	"github.com/overwatch-dqm/overwatch"
)

// FuzzViewDoc feeds arbitrary bytes as a stored view document: reading it
// back (resume decisions of the scan) never panics, and a document that is
// not valid JSON is reported, not trusted.
func FuzzViewDoc(f *testing.F) {
	f.Add([]byte(`{"run":1,"subsystem":"TST","snapshot":{"time":1795425240},"complete":true}`))
	f.Add([]byte(`{"skipped":[{"time":-1,"seq":9999999999}],"groups":null}`))
	f.Add([]byte(`not json`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		st := newMemStore("TST")
		p := New(st, Options{Decode: histtest.GobDecode})
		ctx := context.Background()
		_ = st.PutOutput(ctx, overwatch.ViewRef(1, "TST", ""), data)
		last := overwatch.SnapshotInfo{SnapshotRef: overwatch.SnapshotRef{Run: 1, Subsystem: "TST", Time: time.Unix(1795425240, 0)}}
		v, err := p.readView(ctx, 1, "TST", "")
		if err == nil && v == nil {
			t.Fatal("nil view without error")
		}
		_ = p.upToDate(ctx, 1, "TST", last)
	})
}
