package monitor_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch/heartbeat"
	"github.com/overwatch-dqm/overwatch/receiver/monitor"
)

// A receiver whose heartbeat is ten minutes old is dead; when it writes a
// fresh heartbeat it is revived.
func ExampleMonitor() {
	dir, _ := os.MkdirTemp("", "monitor")
	defer os.RemoveAll(dir)
	now := time.Unix(1_700_000_000, 0)
	_ = os.WriteFile(heartbeat.Path(dir, "EMC"), []byte(fmt.Sprint(now.Add(-10*time.Minute).Unix())), 0o644)
	m := &monitor.Monitor{
		DataDir: dir, Subsystems: []string{"EMC"},
		Now: func() time.Time { return now },
		Alerter: monitor.AlerterFunc(func(_ context.Context, a monitor.Alert) {
			fmt.Println(a.State, "-", a.Message)
		}),
	}
	fmt.Println("dead:", m.Check(context.Background()))
	_ = os.WriteFile(heartbeat.Path(dir, "EMC"), []byte(fmt.Sprint(now.Unix())), 0o644)
	fmt.Println("dead:", m.Check(context.Background()))
	// Output:
	// dead - EMC receiver has had no heart beat for 5 minutes!
	// dead: [EMC]
	// revived - EMC receiver has been revived.
	// dead: []
}
