package payload

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValid(t *testing.T) {
	b := Make(42, 1000)
	assert.True(t, Valid(b))
	assert.Equal(t, b, Make(42, 1000), "deterministic")
	assert.False(t, Valid(b[:len(b)-1]), "truncated")
	assert.False(t, Valid(b[:20]), "header only")
	c := append([]byte(nil), b...)
	c[500] ^= 1
	assert.False(t, Valid(c), "flipped bit")
	assert.True(t, Valid(Make(1, 0)), "empty body")
}
