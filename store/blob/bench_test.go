package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/overwatch-dqm/overwatch/internal/s3test"
	"github.com/overwatch-dqm/overwatch/internal/xrdtest"
	"github.com/overwatch-dqm/overwatch/store/blob"
	"github.com/overwatch-dqm/overwatch/store/blob/s3blob"
	"github.com/overwatch-dqm/overwatch/store/blob/xrdblob"
)

func TestMain(m *testing.M) {
	code := m.Run()
	s3test.StopShared()
	xrdtest.StopShared()
	os.Exit(code)
}

// floor is the least a local put costs: a temporary file written, synced
// and renamed into place (no index, no checks); Open is os.Open plus a
// seek.
type floor struct{ dir string }

func (f floor) put(key string, p []byte) error {
	path := filepath.Join(f.dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(p); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (f floor) open(key string, off int64) (io.ReadCloser, error) {
	fh, err := os.Open(filepath.Join(f.dir, filepath.FromSlash(key)))
	if err != nil {
		return nil, err
	}
	_, err = fh.Seek(off, io.SeekStart)
	return fh, err
}

type backend struct {
	name string
	new  func(b *testing.B) blob.Bucket
}

func backends() []backend {
	return []backend{
		{"s3", func(b *testing.B) blob.Bucket {
			srv := s3test.Shared(b)
			bk, err := s3blob.New(s3blob.Config{Endpoint: srv.Endpoint, Bucket: srv.NewBucket(b), Access: srv.Access, Secret: srv.Secret, Insecure: true})
			if err != nil {
				b.Fatal(err)
			}
			return bk
		}},
		{"xrootd", func(b *testing.B) blob.Bucket {
			srv := xrdtest.Shared(b)
			bk, err := xrdblob.New(xrdblob.Config{Addr: srv.Addr, Root: srv.NewDir(b)})
			if err != nil {
				b.Fatal(err)
			}
			return bk
		}},
	}
}

var sizes = []int{4 << 10, 1 << 20}

var seq atomic.Int64

func key() string { return fmt.Sprintf("Run%d/EMC/EMChists.%d.root", seq.Add(1)%50, seq.Add(1)) }

// BenchmarkPut puts objects of a snapshot's size on each backend and on
// the local floor, in one run.
func BenchmarkPut(b *testing.B) {
	for _, size := range sizes {
		p := make([]byte, size)
		_, _ = rand.Read(p)
		b.Run(fmt.Sprintf("floor/%dKiB", size>>10), func(b *testing.B) {
			f := floor{b.TempDir()}
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				if err := f.put(key(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, be := range backends() {
			b.Run(fmt.Sprintf("%s/%dKiB", be.name, size>>10), func(b *testing.B) {
				bk := be.new(b)
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := bk.Put(context.Background(), key(), bytes.NewReader(p)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkOpen reads whole objects, and 64 KiB from the middle of 1 MiB
// objects (a bundle member), on each backend and the local floor.
func BenchmarkOpen(b *testing.B) {
	for _, tc := range []struct {
		name   string
		size   int
		off, n int64
	}{{"whole-4KiB", 4 << 10, 0, -1}, {"whole-1MiB", 1 << 20, 0, -1}, {"range-64KiB-of-1MiB", 1 << 20, 512 << 10, 64 << 10}} {
		p := make([]byte, tc.size)
		_, _ = rand.Read(p)
		want := int64(tc.size)
		if tc.n >= 0 {
			want = tc.n
		}
		b.Run("floor/"+tc.name, func(b *testing.B) {
			f := floor{b.TempDir()}
			if err := f.put("k/obj", p); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(want)
			for i := 0; i < b.N; i++ {
				rc, err := f.open("k/obj", tc.off)
				if err != nil {
					b.Fatal(err)
				}
				var r io.Reader = rc
				if tc.n >= 0 {
					r = io.LimitReader(rc, tc.n)
				}
				if n, err := io.Copy(io.Discard, r); err != nil || n != want {
					b.Fatal(n, err)
				}
				rc.Close()
			}
		})
		for _, be := range backends() {
			b.Run(be.name+"/"+tc.name, func(b *testing.B) {
				bk := be.new(b)
				if _, err := bk.Put(context.Background(), "k/obj", bytes.NewReader(p)); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(want)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					rc, err := bk.Open(context.Background(), "k/obj", tc.off, tc.n)
					if err != nil {
						b.Fatal(err)
					}
					if n, err := io.Copy(io.Discard, rc); err != nil || n != want {
						b.Fatal(n, err)
					}
					rc.Close()
				}
			})
		}
	}
}
