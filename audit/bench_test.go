package audit_test

import (
	"context"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

func benchAppend(b *testing.B, checker audit.Checker, parallel bool) {
	ctx := context.Background()
	m := audit.NewMemoryLog()
	c, err := audit.NewChain(audittest.NewSigner("bench"), audit.Options{Checker: checker})
	if err != nil {
		b.Fatal(err)
	}
	rec := audittest.SampleRecord(7)
	appendOne := func() error {
		return m.Update(ctx, func(tx audit.Tx) error { _, err := c.Append(ctx, tx, rec); return err })
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	if parallel {
		b.SetParallelism(8 / max(1, testingProcs())) // about 8 writers in all
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := appendOne(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	} else {
		for b.Loop() {
			if err := appendOne(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/append")
	if m.Len() != b.N {
		b.Fatalf("%d records for %d appends", m.Len(), b.N)
	}
}

// BenchmarkAppend: one writer; the default checker (shapes plus pii engine)
// and shapes only; a checkpoint every 1000 records.
func BenchmarkAppend(b *testing.B) {
	full, err := audit.NewStrictChecker()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("checker=strict+pii", func(b *testing.B) { benchAppend(b, full, false) })
	b.Run("checker=shapes", func(b *testing.B) { benchAppend(b, &audit.StrictChecker{}, false) })
}

// BenchmarkAppendParallel8: eight concurrent writers serialised by the head lock.
func BenchmarkAppendParallel8(b *testing.B) {
	full, err := audit.NewStrictChecker()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("checker=strict+pii", func(b *testing.B) { benchAppend(b, full, true) })
}

const bigChain = 1_000_000

var (
	bigOnce sync.Once
	bigLog  *audit.MemoryLog
	bigKeys audit.Keyring
)

// bigChainLog builds (once) a chain of one million sample records with a
// checkpoint every 1000, in transactions of 1000 appends.
func bigChainLog(b *testing.B) (*audit.MemoryLog, audit.Keyring) {
	bigOnce.Do(func() {
		ctx := context.Background()
		s := audittest.NewSigner("bench")
		c := audittest.NewChain(b, s, 1000)
		m := audit.NewMemoryLog()
		for i := 0; i < bigChain; i += 1000 {
			err := m.Update(ctx, func(tx audit.Tx) error {
				for j := i; j < i+1000; j++ {
					if _, err := c.Append(ctx, tx, audittest.SampleRecord(j)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		bigLog, bigKeys = m, s.Keyring()
	})
	return bigLog, bigKeys
}

// BenchmarkVerify1M verifies a one-million-record chain (1000 checkpoints)
// held in a MemoryLog: this is the verifier's own cost, without a
// database's read cost. Run with -cpu 1 for the one-core figure.
func BenchmarkVerify1M(b *testing.B) {
	m, keys := bigChainLog(b)
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		rep, err := audit.Verify(ctx, m, keys)
		if err != nil || !rep.OK() || rep.Records != bigChain {
			b.Fatalf("%+v %v", rep, err)
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/1M-records")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/1M-records")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/bigChain, "ns/record")
}
