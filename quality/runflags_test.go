package quality

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestRunFlags(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	f := &RunFlags{Run: 123, Subsystem: "EMC"}
	f.Add(at(0), overwatch.QualityGood, "worst case of 3 good")
	assert.Nil(t, f.Flags, "one snapshot covers no time")
	assert.Equal(t, overwatch.QualityGood, f.Quality)
	f.Add(at(4), overwatch.QualityGood, "worst case of 3 good")
	f.Add(at(12), overwatch.QualityBad, "dead, region") // out of order: inserted
	f.Add(at(8), overwatch.QualityGood, "worst case of 3 good")
	f.Add(at(16), overwatch.QualityNull, "none judged")
	f.Add(at(12), overwatch.QualityBad, `dead "region"`) // same time: replaced
	require.Len(t, f.Snapshots, 5)
	assert.Equal(t, overwatch.QualityBad, f.Quality)
	assert.Equal(t, overwatch.QualityNull, f.Last.Quality)
	want := []Flag{
		{Start: at(0), End: at(8), Quality: overwatch.QualityGood, Reasons: []string{"worst case of 3 good"}},
		{Start: at(8), End: at(12), Quality: overwatch.QualityBad, Reasons: []string{`dead "region"`}},
		{Start: at(12), End: at(16), Quality: overwatch.QualityNull, Reasons: []string{"none judged"}},
	}
	assert.Equal(t, want, f.Flags)

	// The CSV for a run registry, exactly.
	assert.Equal(t, "run,subsystem,start,end,quality,reasons\n"+
		"123,EMC,2026-12-02T10:00:00Z,2026-12-02T10:08:00Z,good,worst case of 3 good\n"+
		"123,EMC,2026-12-02T10:08:00Z,2026-12-02T10:12:00Z,bad,\"dead \"\"region\"\"\"\n"+
		"123,EMC,2026-12-02T10:12:00Z,2026-12-02T10:16:00Z,null,none judged\n", string(f.CSV()))

	// Through a document and back.
	d, err := f.Document()
	require.NoError(t, err)
	require.NoError(t, overwatch.CheckDocument(d))
	assert.Equal(t, "123/EMC", d.Name)
	back, err := RunFlagsFromDocument(d)
	require.NoError(t, err)
	assert.Equal(t, f.Flags, back.Flags)
	assert.Equal(t, f.Quality, back.Quality)

	// A name that disagrees with the body, a tombstone, bad JSON.
	d2 := d
	d2.Name = "124/EMC"
	_, err = RunFlagsFromDocument(d2)
	assert.Error(t, err)
	_, err = RunFlagsFromDocument(overwatch.Document{Kind: FlagsKind, Name: "123/EMC", Deleted: true})
	assert.ErrorIs(t, err, overwatch.ErrNotFound)
	_, err = RunFlagsFromDocument(overwatch.Document{Kind: FlagsKind, Name: "123/EMC", Body: json.RawMessage(`[1]`)})
	assert.Error(t, err)
	_, err = (&RunFlags{Run: 0, Subsystem: "EMC"}).Document()
	assert.Error(t, err)
}

func TestRunFlagsBounded(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f := &RunFlags{Run: 1, Subsystem: "EMC"}
	long := string(make([]byte, 1000))
	for i := 0; i < MaxRunSnapshots+10; i++ {
		q := overwatch.QualityGood
		if i%2 == 0 {
			q = overwatch.QualityBad
		}
		f.Add(t0.Add(time.Duration(i)*time.Second), q, long)
	}
	require.Len(t, f.Snapshots, MaxRunSnapshots)
	assert.Equal(t, t0.Add(10*time.Second), f.Snapshots[0].Time, "the oldest dropped")
	d, err := f.Document()
	require.NoError(t, err)
	assert.Less(t, len(d.Body), overwatch.MaxDocumentBody)
}

// BenchmarkRunFlagsAdd is the observer's per-snapshot update of a run's
// stored flags late in a long run (1000 snapshots), with the document
// encoding.
func BenchmarkRunFlagsAdd(b *testing.B) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	f := &RunFlags{Run: 1, Subsystem: "EMC"}
	for i := range 1000 {
		f.Add(t0.Add(time.Duration(i)*time.Minute), overwatch.Quality(1+i%3), "worst case of 19 good, 1 bad")
	}
	b.ReportAllocs()
	i := 1000
	for b.Loop() {
		i++
		f.Add(t0.Add(time.Duration(i)*time.Minute), overwatch.QualityGood, "worst case of 20 good")
		if _, err := f.Document(); err != nil {
			b.Fatal(err)
		}
		if len(f.Snapshots) > 1000 {
			f.Snapshots = f.Snapshots[1:]
		}
	}
}
