// Package payload makes self-checking file contents for the store's crash
// test: 8 bytes of length, 32 bytes of SHA-256, then pseudo-random bytes.
package payload

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// Make returns n pseudo-random bytes from seed, framed with their length
// and checksum.
func Make(seed int64, n int) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	body := make([]byte, n)
	for i := range body {
		body[i] = byte(r.Uint32())
	}
	sum := sha256.Sum256(body)
	out := binary.BigEndian.AppendUint64(nil, uint64(n))
	out = append(out, sum[:]...)
	return append(out, body...)
}

// Valid reports whether b is a whole output of Make.
func Valid(b []byte) bool {
	if len(b) < 40 {
		return false
	}
	n := binary.BigEndian.Uint64(b[:8])
	if uint64(len(b)-40) != n {
		return false
	}
	sum := sha256.Sum256(b[40:])
	return bytes.Equal(sum[:], b[8:40])
}
