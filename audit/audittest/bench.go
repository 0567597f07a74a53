package audittest

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

// cpuTime is the CPU time (user + system) of this process: on a shared,
// busy machine it measures the work better than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAppend measures appends, one per transaction, from `writers`
// concurrent goroutines on a fresh backend, with the default checker (shape
// allow-list plus the pii engine) and a checkpoint every 1000 records. It
// reports appends/s (wall) and cpu-µs/append (this process only: a database
// server's own CPU is not included), and verifies the chain at the end.
func BenchmarkAppend(b *testing.B, open Opener, writers int) {
	ctx := context.Background()
	be := open(b)
	s := NewSigner("bench")
	c, err := audit.NewChain(s, audit.Options{})
	if err != nil {
		b.Fatal(err)
	}
	rec := SampleRecord(7)
	jobs := make(chan struct{}, 1024)
	var wg sync.WaitGroup
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if err := be.Update(ctx, func(tx audit.Tx) error { _, err := c.Append(ctx, tx, rec); return err }); err != nil {
					b.Error(err)
					for range jobs { // drain so the producer never blocks
					}
					return
				}
			}
		}()
	}
	for range b.N {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/append")
	rep, err := audit.Verify(ctx, be.Reader, s.Keyring())
	if err != nil || rep.Break != nil || rep.Records != int64(b.N) {
		b.Fatalf("after the benchmark: %+v, %v", rep, err)
	}
}

// BenchmarkVerify loads n sample records into a fresh backend (1000 per
// transaction, a checkpoint every 1000), copies them into a MemoryLog, and
// then times audit.Verify over the backend and over the MemoryLog in the
// same run, so the backend's read cost shows as the difference. It reports
// wall and CPU seconds per verification for both (CPU of this process only).
func BenchmarkVerify(b *testing.B, open Opener, n int) {
	ctx := context.Background()
	be := open(b)
	s := NewSigner("bench")
	c := NewChain(b, s, 1000)
	t0 := time.Now()
	for i := 0; i < n; i += 1000 {
		err := be.Update(ctx, func(tx audit.Tx) error {
			for j := i; j < i+1000 && j < n; j++ {
				if _, err := c.Append(ctx, tx, SampleRecord(j)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("loaded %d records in %v (1000 per transaction)", n, time.Since(t0).Round(time.Millisecond))
	m := audit.NewMemoryLog()
	err := m.Update(ctx, func(tx audit.Tx) error {
		for r, err := range be.Reader.Records(ctx, 1) {
			if err != nil {
				return err
			}
			if err := tx.InsertRecord(ctx, r); err != nil {
				return err
			}
		}
		for cp, err := range be.Reader.Checkpoints(ctx) {
			if err != nil {
				return err
			}
			if err := tx.InsertCheckpoint(ctx, cp); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var storeCPU, memCPU, storeWall, memWall time.Duration
	run := func(r audit.Reader, cpu, wall *time.Duration) {
		c0, w0 := cpuTime(), time.Now()
		rep, err := audit.Verify(ctx, r, s.Keyring())
		*cpu += cpuTime() - c0
		*wall += time.Since(w0)
		if err != nil || rep.Break != nil || rep.Records != int64(n) {
			b.Fatalf("verify: %+v, %v", rep, err)
		}
	}
	b.ResetTimer()
	for range b.N {
		run(be.Reader, &storeCPU, &storeWall)
		run(m, &memCPU, &memWall)
	}
	N := float64(b.N)
	b.ReportMetric(storeWall.Seconds()/N, "backend-wall-s")
	b.ReportMetric(storeCPU.Seconds()/N, "backend-cpu-s")
	b.ReportMetric(memWall.Seconds()/N, "memory-wall-s")
	b.ReportMetric(memCPU.Seconds()/N, "memory-cpu-s")
}
