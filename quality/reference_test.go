package quality

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

func TestResolveReference(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	refs := []Reference{
		{Subsystem: "EMC", First: 100, Last: 200, Run: 150, Time: t0, Version: 1},
		{Subsystem: "EMC", First: 120, Last: 130, Run: 125, Time: t0, Version: 1},
		{Subsystem: "EMC", First: 100, Last: 0, Run: 101, Time: t0, Version: 1},
		{Subsystem: "EMC", First: 300, Last: 400, Run: 310, Time: t0, Version: 1},
		{Subsystem: "EMC", First: 350, Last: 450, Run: 360, Time: t0.Add(time.Minute), Version: 1}, // same width, newer
		{Subsystem: "HLT", First: 1, Last: 1000, Run: 7, Time: t0, Version: 1},
		{Subsystem: "TPC", First: 10, Last: 20, Run: 11, Time: t0, Version: 1},
		{Subsystem: "TPC", First: 15, Last: 25, Run: 16, Time: t0, Version: 2}, // same width and time, higher version
	}
	cases := []struct {
		name string
		sys  string
		run  int
		want int // reference run, 0: none
	}{
		{"before every range", "EMC", 99, 0},
		{"first run of a range", "EMC", 100, 150},
		{"wide range", "EMC", 119, 150},
		{"narrow range wins", "EMC", 120, 125},
		{"narrow range last run", "EMC", 130, 125},
		{"back to the wide range", "EMC", 131, 150},
		{"last run of the range", "EMC", 200, 150},
		{"open-ended after the range", "EMC", 201, 101},
		{"overlap of equal widths: newest", "EMC", 360, 360},
		{"only the older one covers", "EMC", 320, 310},
		{"only the newer one covers", "EMC", 420, 360},
		{"open-ended up to MaxRun", "EMC", overwatch.MaxRun, 101},
		{"other subsystem", "HLT", 500, 7},
		{"subsystem not declared", "PHOS", 150, 0},
		{"same width and time: higher version", "TPC", 17, 16},
		{"only one covers", "TPC", 12, 11},
		{"after both", "TPC", 26, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ResolveReference(refs, c.sys, c.run)
			if c.want == 0 {
				assert.False(t, ok, "got %+v", got)
				return
			}
			require.True(t, ok)
			assert.Equal(t, c.want, got.Run)
			// The order of the declarations does not matter.
			for i := 0; i < 20; i++ {
				sh := append([]Reference(nil), refs...)
				rand.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
				again, ok := ResolveReference(sh, c.sys, c.run)
				require.True(t, ok)
				require.Equal(t, got, again)
			}
		})
	}
	_, ok := ResolveReference(nil, "EMC", 100)
	assert.False(t, ok)
}

func TestReferenceValidate(t *testing.T) {
	cases := []struct {
		name string
		r    Reference
		ok   bool
	}{
		{"range", Reference{Subsystem: "EMC", First: 1, Last: 10, Run: 5}, true},
		{"single run", Reference{Subsystem: "EMC", First: 10, Last: 10, Run: 5}, true},
		{"open-ended", Reference{Subsystem: "EMC", First: 10, Run: 500}, true},
		{"reference outside its range", Reference{Subsystem: "EMC", First: 10, Last: 20, Run: 9}, true},
		{"lower-case subsystem", Reference{Subsystem: "emc", First: 1, Last: 10, Run: 5}, false},
		{"empty subsystem", Reference{First: 1, Last: 10, Run: 5}, false},
		{"no run", Reference{Subsystem: "EMC", First: 1, Last: 10}, false},
		{"run too large", Reference{Subsystem: "EMC", First: 1, Last: 10, Run: overwatch.MaxRun + 1}, false},
		{"first 0", Reference{Subsystem: "EMC", First: 0, Last: 10, Run: 5}, false},
		{"negative first", Reference{Subsystem: "EMC", First: -5, Last: 10, Run: 5}, false},
		{"inverted", Reference{Subsystem: "EMC", First: 10, Last: 9, Run: 5}, false},
		{"last too large", Reference{Subsystem: "EMC", First: 10, Last: overwatch.MaxRun + 1, Run: 5}, false},
		{"comment too long", Reference{Subsystem: "EMC", First: 1, Last: 10, Run: 5, Comment: string(make([]byte, 4097))}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.r.Validate()
			if c.ok {
				require.NoError(t, err)
				d, err := c.r.Document()
				require.NoError(t, err)
				require.NoError(t, overwatch.CheckDocument(d))
				d.Version, d.Time = 3, time.Unix(1e9, 0).UTC()
				back, err := ReferenceFromDocument(d)
				require.NoError(t, err)
				want := c.r
				want.Version, want.Time = 3, d.Time
				assert.Equal(t, want, back)
				return
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrReference), "%v", err)
			_, err = c.r.Document()
			assert.Error(t, err)
		})
	}
}

func TestReferenceFromDocument(t *testing.T) {
	good := `{"subsystem":"EMC","first":100,"last":200,"run":150}`
	cases := []struct {
		name string
		d    overwatch.Document
		ok   bool
	}{
		{"valid", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-200", Body: []byte(good)}, true},
		{"open-ended", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-", Body: []byte(`{"subsystem":"EMC","first":100,"run":150}`)}, true},
		{"name disagrees", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-201", Body: []byte(good)}, false},
		{"other subsystem in the name", overwatch.Document{Kind: ReferenceKind, Name: "HLT/100-200", Body: []byte(good)}, false},
		{"wrong kind", overwatch.Document{Kind: "layout", Name: "EMC/100-200", Body: []byte(good)}, false},
		{"unknown field", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-200", Body: []byte(`{"subsystem":"EMC","first":100,"last":200,"run":150,"x":1}`)}, false},
		{"not JSON", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-200", Body: []byte(`{`)}, false},
		{"wrong type", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-200", Body: []byte(`{"subsystem":"EMC","first":"100","last":200,"run":150}`)}, false},
		{"invalid values", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-200", Body: []byte(`{"subsystem":"EMC","first":100,"last":200,"run":0}`)}, false},
		{"tombstone", overwatch.Document{Kind: ReferenceKind, Name: "EMC/100-200", Deleted: true}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReferenceFromDocument(c.d)
			if c.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
	_, err := ReferenceFromDocument(cases[len(cases)-1].d)
	assert.ErrorIs(t, err, overwatch.ErrNotFound)

	refs, err := ReferencesFromDocuments([]overwatch.Document{cases[0].d, cases[2].d, cases[len(cases)-1].d, cases[1].d})
	assert.Error(t, err, "the undecodable document is reported")
	assert.Len(t, refs, 2, "the others are kept, tombstones skipped")
}

func TestParseRunRange(t *testing.T) {
	cases := []struct {
		in          string
		first, last int
		ok          bool
	}{
		{"100-200", 100, 200, true},
		{"100-", 100, 0, true},
		{"100", 100, 100, true},
		{" 7-7 ", 7, 7, true},
		{"200-100", 0, 0, false},
		{"-100", 0, 0, false},
		{"a-b", 0, 0, false},
		{"0-5", 0, 0, false},
		{"", 0, 0, false},
		{"1-9999999999", 0, 0, false},
	}
	for _, c := range cases {
		f, l, err := ParseRunRange(c.in)
		if !c.ok {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, [2]int{c.first, c.last}, [2]int{f, l}, c.in)
	}
	assert.Equal(t, "EMC/100-200", ReferenceName("EMC", 100, 200))
	assert.Equal(t, "EMC/100-", ReferenceName("EMC", 100, 0))
}
