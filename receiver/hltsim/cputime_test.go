package hltsim

import (
	"syscall"
	"time"
)

// cpuNow returns the CPU time (user + system) the process has used, so
// that benchmarks can report CPU cost independent of a busy machine.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
