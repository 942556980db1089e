package zdc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/overwatch-dqm/overwatch"
	"github.com/overwatch-dqm/overwatch/cli"
	"github.com/overwatch-dqm/overwatch/receiver/hltsim/generator"
	"github.com/overwatch-dqm/overwatch/store/bundle"
)

// zdcReceiver is a site's own source of snapshots (another DAQ): it
// delivers n simulated ZDC snapshots of one run into the store, then waits.
type zdcReceiver struct {
	deps cli.ReceiverDeps
	run  int
	n    int
	done chan struct{}
}

func (r *zdcReceiver) Run(ctx context.Context) error {
	gen := generator.New(generator.Config{Seed: 11, Subsystems: []string{"ZDC"}, EventsPerSecond: 500})
	gen.StartRun(r.run)
	for i := 0; i < r.n; i++ {
		gen.Advance(20 * time.Second)
		data, err := overwatch.EncodeFile(gen.Snapshot("ZDC"))
		if err != nil {
			return err
		}
		if _, err := r.deps.Store.PutSnapshot(ctx, overwatch.SnapshotMeta{Run: r.run, Subsystem: "ZDC", Mode: overwatch.ModeCompress, Time: gen.Now(), Origin: "zdc-daq"}, bytes.NewReader(data)); err != nil {
			return err
		}
	}
	close(r.done)
	<-ctx.Done()
	return nil
}

var (
	registerOnce sync.Once
	site         = make(chan *zdcReceiver, 1)
)

// TestRegisteredReceiverIsServed registers a receiver from outside the
// Overwatch module, runs "serve" in this process, and sees the snapshots
// it delivers processed by the ZDC detector.
func TestRegisteredReceiverIsServed(t *testing.T) {
	const run = 777
	registerOnce.Do(func() {
		cli.RegisterReceiver("zdc-daq", func(d cli.ReceiverDeps) (overwatch.Receiver, error) {
			r := &zdcReceiver{deps: d, run: run, n: 3, done: make(chan struct{})}
			site <- r
			return r, nil
		})
	})
	assert.Contains(t, cli.Receivers(), "zdc-daq")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "overwatch.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`data: `+filepath.Join(dir, "data")+`
subsystems: [ZDC]
processing: {enabled: true}
web: {enabled: false}
dqm: {enabled: false}
monitor: {enabled: false}
`), 0o600))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := make(chan int, 1)
	go func() { code <- cli.Run(ctx, []string{"serve", "--config", cfg}, &stdout, &stderr) }()

	var r *zdcReceiver
	select {
	case r = <-site:
	case c := <-code:
		t.Fatalf("serve exited with %d: %s", c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("the registered receiver was not built")
	}
	src, ok := r.deps.Store.(bundle.Source)
	require.True(t, ok, "the deployment's store also holds outputs")
	outputs := bundle.NewOutputs(src) // processed outputs travel as one bundle per snapshot
	<-r.done
	var hints overwatch.Hints
	require.Eventually(t, func() bool {
		b, err := outputs.Output(ctx, overwatch.OutputRef{Run: run, Subsystem: "ZDC", Name: "ZDC_histTime", Kind: overwatch.OutputHints})
		return err == nil && json.Unmarshal(b, &hints) == nil && hints.NEvents >= 30000
	}, 60*time.Second, 50*time.Millisecond, "ZDC snapshots processed")
	require.NotEmpty(t, hints.Info)
	assert.Equal(t, "In-time fraction", hints.Info[0].Label, "the ZDC detector's function ran")

	cancel()
	select {
	case c := <-code:
		assert.Equal(t, 0, c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}
