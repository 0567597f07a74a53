package storetest_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

// processCPU is the CPU time (user + system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAuditVerifyStore is `audit verify` as the command runs it: AUDIT_BENCH_N
// records (default 100 000) appended by audit.Chain to a fresh store, then
// audit.Verify over the store with nothing else held in memory (unlike
// store/storeaudit's BenchmarkAuditVerify, which keeps an in-memory copy of every
// record live for its comparison). It reports the process's CPU seconds per verify
// ("cpu-s"); run it with GOMAXPROCS=1 for the one-core figure.
func BenchmarkAuditVerifyStore(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("AUDIT_BENCH_N"))
	if n <= 0 {
		n = 100000
	}
	ctx := context.Background()
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			st := be.Open(b)
			s := audittest.NewSigner("bench")
			c := audittest.NewChain(b, s, 1000)
			for i := 0; i < n; i += 1000 {
				err := st.InTx(ctx, func(tx store.Tx) error {
					for j := i; j < i+1000 && j < n; j++ {
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
			runtime.GC()
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				c0 := processCPU()
				rep, err := audit.Verify(ctx, st, s.Keyring())
				cpu += processCPU() - c0
				if err != nil || rep.Break != nil || rep.Records != int64(n) {
					b.Fatalf("verify: %+v, %v", rep, err)
				}
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
		})
	}
}
