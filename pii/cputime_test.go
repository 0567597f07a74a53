//go:build linux

package pii

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCPUTimeThroughput measures throughput per CPU-second (user+system
// time of this process) instead of wall time, which on a shared, busy
// machine counts the time spent waiting for a core. Run with
// PII_CPUTIME=1 GOMAXPROCS=1; figures in docs/bench/pii.md.
func TestCPUTimeThroughput(t *testing.T) {
	if os.Getenv("PII_CPUTIME") != "1" {
		t.Skip("set PII_CPUTIME=1 to measure throughput per CPU-second")
	}
	data := logCorpus(4 << 20)
	all, _ := NewEngine(Options{})
	four, _ := NewEngine(Options{Types: []Type{TypeEmail, TypeCard, TypeSSN, TypeIPv4}})
	fs := make([]Finding, 0, 8192)
	measure := func(name string, rounds int, f func()) float64 {
		f() // warm up
		c0 := cpuTime()
		for range rounds {
			f()
		}
		d := cpuTime() - c0
		mbs := float64(len(data)) * float64(rounds) / d.Seconds() / 1e6
		t.Logf("%-28s %8.1f MB per CPU-second (%d x %d bytes in %v CPU)", name, mbs, rounds, len(data), d)
		return mbs
	}
	ref := measure("reference byte-class loop", 100, func() {
		n := 0
		for _, c := range data {
			if class[c]&cDigit != 0 {
				n++
			}
		}
		sinkN = n
	})
	a := measure("engine all types", 40, func() { fs = all.Find(data, nil, fs[:0]) })
	f4 := measure("engine four types", 40, func() { fs = four.Find(data, nil, fs[:0]) })
	re := measure("regexp baseline four types", 1, func() { sinkN = len(baseline.FindAllIndex(data, -1)) })
	t.Logf("ratios: all/regexp %.0fx, four/regexp %.0fx, all/reference %.2f, four/reference %.2f", a/re, f4/re, a/ref, f4/ref)
}
