package retention_test

import (
	"fmt"
	"time"

	"github.com/overwatch-dqm/overwatch/retention"
)

func ExamplePlan() {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	runs := []retention.Run{
		{Number: 1, Last: now.Add(-72 * time.Hour)},
		{Number: 2, Last: now.Add(-30 * time.Hour)},
		{Number: 3, Last: now.Add(-time.Hour)},
	}
	d := retention.Plan(retention.Policy{MaxAge: 48 * time.Hour}, runs, now)
	fmt.Println(d.Runs)
	// Output: [1]
}
