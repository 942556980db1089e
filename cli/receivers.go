package cli

import (
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/overwatch-dqm/overwatch"
)

// ReceiverDeps is what a registered receiver is built from when serve or
// demo starts.
type ReceiverDeps struct {
	// Store receives the snapshots.
	Store overwatch.SnapshotStore
	// DataDir is the data directory (heartbeat files go there).
	DataDir string
	// Subsystems are the configured subsystems.
	Subsystems []string
	// Logger is the deployment's logger, tagged with the receiver's name.
	Logger *slog.Logger
	// Getenv reads the process environment (a receiver's own settings).
	Getenv func(string) string
}

// ReceiverFactory builds a site's receiver. It returns (nil, nil) when the
// receiver is not configured in this deployment: nothing runs then.
type ReceiverFactory func(ReceiverDeps) (overwatch.Receiver, error)

var (
	receiversMu sync.Mutex
	receivers   = map[string]ReceiverFactory{}
)

// RegisterReceiver adds a receiver to every serve and demo of this binary,
// next to the configured HLT, DQM and drop-folder receivers: a site's own
// source of snapshots (another DAQ) is registered from an init function
// like a detector. It panics when name is empty or registered twice, or f
// is nil.
func RegisterReceiver(name string, f ReceiverFactory) {
	if name == "" || f == nil {
		panic("cli: RegisterReceiver needs a name and a factory")
	}
	receiversMu.Lock()
	defer receiversMu.Unlock()
	if _, dup := receivers[name]; dup {
		panic("cli: RegisterReceiver called twice for " + name)
	}
	receivers[name] = f
}

// Receivers returns the names of the registered receivers, sorted.
func Receivers() []string {
	receiversMu.Lock()
	defer receiversMu.Unlock()
	names := make([]string, 0, len(receivers))
	for n := range receivers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// registeredReceivers builds the registered receivers that are configured.
func registeredReceivers(deps ReceiverDeps, log *slog.Logger) ([]string, []overwatch.Receiver, error) {
	var names []string
	var out []overwatch.Receiver
	for _, n := range Receivers() {
		receiversMu.Lock()
		f := receivers[n]
		receiversMu.Unlock()
		d := deps
		d.Logger = log.With("component", "receiver", "receiver", n)
		r, err := f(d)
		if err != nil {
			return nil, nil, fmt.Errorf("receiver %s: %w", n, err)
		}
		if r != nil {
			names, out = append(names, n), append(out, r)
		}
	}
	return names, out, nil
}
