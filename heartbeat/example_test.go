package heartbeat_test

import (
	"fmt"
	"os"
	"time"

	"github.com/overwatch-dqm/overwatch/heartbeat"
)

func Example() {
	dir, err := os.MkdirTemp("", "hb")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	now := time.Unix(1448384710, 0)
	if err := heartbeat.Write(dir, "EMC", now); err != nil {
		panic(err)
	}
	b, _ := os.ReadFile(heartbeat.Path(dir, "EMC"))
	fmt.Printf("%s: %q\n", heartbeat.Name("EMC"), b)
	fmt.Println(heartbeat.Check(dir, "EMC", now.Add(time.Minute)).Alive)
	fmt.Println(heartbeat.Check(dir, "EMC", now.Add(heartbeat.DeadAfter)).Alive)
	// Output:
	// heartbeat.EMCReceiver: "1448384710"
	// true
	// false
}
