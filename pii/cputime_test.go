//go:build linux

package pii

import (
	"bytes"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// cpuTime returns the CPU time of the calling thread (the test locks it
// to its OS thread), in nanoseconds: CLOCK_THREAD_CPUTIME_ID, which unlike
// getrusage is precise enough to time a single pass.
func cpuTime() time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 3 /* CLOCK_THREAD_CPUTIME_ID */, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}

// TestCPUTimeThroughput measures throughput per CPU-second (the CPU time
// of the test's thread) instead of wall time, which on a shared, busy
// machine counts the time spent waiting for a core. Run with
// PII_CPUTIME=1 GOMAXPROCS=1; figures in docs/bench/pii.md. The ratios
// use the fastest round of each measurement.
func TestCPUTimeThroughput(t *testing.T) {
	if m := os.Getenv("PII_CPUTIME"); m != "1" && m != "engine" {
		t.Skip("set PII_CPUTIME=1 to measure throughput per CPU-second")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	data := logCorpus(4 << 20)
	all, _ := NewEngine(Options{})
	four, _ := NewEngine(Options{Types: []Type{TypeEmail, TypeCard, TypeSSN, TypeIPv4}})
	fs := make([]Finding, 0, 8192)
	// measure runs f rounds times and logs the throughput over the total
	// CPU time and over the fastest round (the one least disturbed by
	// other processes sharing the core); it returns the latter.
	measure := func(name string, rounds int, f func()) float64 {
		f() // warm up
		var total, best time.Duration
		for r := range rounds {
			c0 := cpuTime()
			f()
			d := cpuTime() - c0
			total += d
			if r == 0 || d < best {
				best = d
			}
		}
		mbs := float64(len(data)) * float64(rounds) / total.Seconds() / 1e6
		top := float64(len(data)) / best.Seconds() / 1e6
		t.Logf("%-34s %7.1f MB per CPU-second (%d x %d bytes in %v CPU); fastest round %7.1f", name, mbs, rounds, len(data), total, top)
		return top
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
	// PII_CPUTIME=engine measures the engine with all types only (the
	// whole corpus and its three parts), for quick A/B runs of two builds.
	if os.Getenv("PII_CPUTIME") != "engine" {
		f4 := measure("engine four types", 40, func() { fs = four.Find(data, nil, fs[:0]) })
		re := measure("regexp baseline four types", 3, func() { sinkN = len(baseline.FindAllIndex(data, -1)) })
		t.Logf("ratios: all/regexp %.0fx, four/regexp %.0fx, all/reference %.2f, four/reference %.2f", a/re, f4/re, a/ref, f4/ref)
	}

	// Where the time goes: the same lines cut into their timestamp
	// ("2024-05-01T12:27:58.719Z "), their words ("INFO GET session ...")
	// and their key=value tail (" request_id=... dur=...ms status=...").
	var ts, words, kv []byte
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		sp := bytes.IndexByte(l, ' ') + 1
		k := bytes.Index(l, []byte(" request_id="))
		if sp <= 0 || k < sp {
			continue
		}
		ts = append(append(ts, l[:sp]...), '\n')
		words = append(append(words, l[sp:k]...), '\n')
		kv = append(kv, l[k:]...)
	}
	for _, part := range []struct {
		name string
		b    []byte
	}{{"timestamps", ts}, {"words", words}, {"key=value tails", kv}} {
		d0 := data
		data = part.b
		measure("engine all types, "+part.name, 40, func() { fs = all.Find(part.b, nil, fs[:0]) })
		data = d0
	}
}
