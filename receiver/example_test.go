package receiver_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/overwatch-dqm/overwatch/receiver"
)

func ExampleWriteHeartbeat() {
	dir, err := os.MkdirTemp("", "hb")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	if err := receiver.WriteHeartbeat(dir, "EMC", time.Unix(1448384710, 0)); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, receiver.HeartbeatName("EMC")))
	fmt.Printf("%s: %q\n", receiver.HeartbeatName("EMC"), b)
	// Output: heartbeat.EMCReceiver: "1448384710"
}
