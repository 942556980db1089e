package overwatch_test

import (
	"testing"

	"github.com/overwatch-dqm/overwatch"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentHash(t *testing.T) {
	mk := func(v float64) []overwatch.Entry {
		h := overwatch.MustNewHist(overwatch.ClassTH1F, "h", "t", overwatch.NewAxis(3, 0, 3))
		h.Contents[1] = v
		g := overwatch.MustNewHist(overwatch.ClassTH2F, "g", "t", overwatch.NewAxis(2, 0, 2), overwatch.NewAxis(2, 0, 2))
		return []overwatch.Entry{{Key: "h", Object: h}, {Dir: "d", Key: "g", Object: g}, {Key: "s", Object: &overwatch.Text{Value: "x"}}}
	}
	a, b := mk(1), mk(1)
	assert.Equal(t, overwatch.ContentHash(a), overwatch.ContentHash(b))
	// Order of the entries does not matter.
	b[0], b[2] = b[2], b[0]
	assert.Equal(t, overwatch.ContentHash(a), overwatch.ContentHash(b))
	// A changed cell, title, name or text does.
	assert.NotEqual(t, overwatch.ContentHash(a), overwatch.ContentHash(mk(2)))
	c := mk(1)
	c[0].Object.(*overwatch.Hist).Title = "other"
	assert.NotEqual(t, overwatch.ContentHash(a), overwatch.ContentHash(c))
	c = mk(1)
	c[1].Dir = "e"
	assert.NotEqual(t, overwatch.ContentHash(a), overwatch.ContentHash(c))
	c = mk(1)
	c[2].Object = &overwatch.Text{Value: "y"}
	assert.NotEqual(t, overwatch.ContentHash(a), overwatch.ContentHash(c))

	// A written and decoded file has the hash of its objects.
	data, err := overwatch.EncodeFile(a)
	require.NoError(t, err)
	f, err := overwatch.DecodeFile(data)
	require.NoError(t, err)
	assert.Equal(t, overwatch.ContentHash(a), overwatch.ContentHash(f.Entries))
}
