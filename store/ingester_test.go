package store

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
)

// TestIngesterIsAReceiver runs drop-folder ingestion through
// overwatch.Receiver: a file dropped is announced as a snapshot.
func TestIngesterIsAReceiver(t *testing.T) {
	root := rootFixture(t)
	dir, drop := t.TempDir(), t.TempDir()
	s, err := Open(dir, Options{Logger: quietLogger(), IngestSettle: time.Millisecond})
	require.NoError(t, err)
	defer s.Close()
	var r overwatch.Receiver = &Ingester{Store: s, Dir: drop, Every: 10 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	w := s.Watch(context.Background())
	go func() { done <- r.Run(ctx) }()
	writeOld(t, drop, "EMChistos_6_B_2020_1_1_0_0_0.root", root)
	select {
	case info := <-w:
		assert.Equal(t, 6, info.Run)
	case <-time.After(5 * time.Second):
		t.Fatal("file not ingested")
	}
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Error(t, (&Ingester{}).Run(context.Background()))
}
