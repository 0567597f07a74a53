package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

// BenchmarkAppendMemory: appends on a MemoryLog, one per transaction, from
// one and from eight writers (default checker, checkpoint every 1000).
func BenchmarkAppendMemory(b *testing.B) {
	for _, w := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", w), func(b *testing.B) { audittest.BenchmarkAppend(b, memBackend, w) })
	}
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
