package audit_test

import (
	"runtime"
	"syscall"
	"time"
	"unicode/utf8"
)

func utf8Valid(s string) bool { return utf8.ValidString(s) }

func testingProcs() int { return runtime.GOMAXPROCS(0) }

// cpuTime is the CPU time (user + system) this process has used: on a
// shared, busy machine it measures the work better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
