package xrdblob

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
)

// BenchmarkOps measures one Stat, one 4 KiB Put and one Open+read of it,
// each on a connection of its own as the bucket does, through the relay
// and, in the same run, with the client connected to the server directly
// (as before the relay): the ratio is the relay's cost.
func BenchmarkOps(b *testing.B) {
	srv := xrdtest.Start(b)
	obj := strings.Repeat("x", 4<<10)
	for _, mode := range []struct {
		name   string
		direct bool
	}{{"relay", false}, {"direct", true}} {
		b.Run(mode.name, func(b *testing.B) {
			bk, err := New(Config{Addr: srv.Addr, Root: srv.NewDir(b) + "/overwatch"})
			if err != nil {
				b.Fatal(err)
			}
			bk.direct = mode.direct
			ctx := context.Background()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				key := fmt.Sprintf("k/%d", i)
				if _, err := bk.Put(ctx, key, strings.NewReader(obj)); err != nil {
					b.Fatal(err)
				}
				if _, err := bk.Stat(ctx, key); err != nil {
					b.Fatal(err)
				}
				rc, err := bk.Open(ctx, key, 0, -1)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, rc); err != nil {
					b.Fatal(err)
				}
				rc.Close()
			}
		})
	}
}
