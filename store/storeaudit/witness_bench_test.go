package storeaudit_test

import (
	"context"
	"os"
	"path/filepath"
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

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAuditVerifyWitness is `audit verify` with and without
// `--witness`, side by side in one run over the same store: AUDIT_BENCH_N
// records (default 100 000) appended by audit.Chain with a checkpoint every
// 256 records (the application's default), every checkpoint witnessed in a
// file as the publisher writes it. Each iteration runs Verify (no witness)
// and then reads the witness file and runs VerifyWith; it reports the
// process CPU seconds of each ("plain-cpu-s", "witness-cpu-s", the latter
// including reading and checking every note). Run with GOMAXPROCS=1 for the
// one-core figure.
func BenchmarkAuditVerifyWitness(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("AUDIT_BENCH_N"))
	if n <= 0 {
		n = 100000
	}
	ctx := context.Background()
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			st := be.Open(b)
			s := audittest.NewSigner("bench")
			c := audittest.NewChain(b, s, 256)
			for i := 0; i < n; i += 1000 {
				err := st.InTx(ctx, func(tx store.Tx) error {
					for j := i; j < i+1000 && j < n; j++ {
						if _, err := c.Append(ctx, tx, audittest.SampleRecord(j)); err != nil {
							return err
						}
					}
					_, _, err := c.Checkpoint(ctx, tx)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			path := filepath.Join(b.TempDir(), "witness.log")
			w := audit.NewFileWitness(path)
			defer w.Close()
			p := audit.NewPublisher(st, w, s.NoteSigner(b), s.Keyring())
			// First use witnesses the latest only; write every checkpoint as
			// a publisher running all along would have.
			ns := s.NoteSigner(b)
			for cp, err := range st.Checkpoints(ctx) {
				if err != nil {
					b.Fatal(err)
				}
				note, err := audit.CheckpointNote(cp, ns)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Add(ctx, note); err != nil {
					b.Fatal(err)
				}
			}
			if res, err := p.Publish(ctx); err != nil || res.Witnessed != 0 {
				b.Fatalf("publish after a complete witness: %+v %v", res, err)
			}
			runtime.GC()
			var plain, withW time.Duration
			var checkpoints int
			runPlain := func() {
				c0 := processCPU()
				rep, err := audit.Verify(ctx, st, s.Keyring())
				plain += processCPU() - c0
				if err != nil || rep.Break != nil || rep.Records != int64(n) {
					b.Fatalf("verify: %+v, %v", rep, err)
				}
			}
			runWitness := func() {
				c0 := processCPU()
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				l, err := audit.ReadWitnessLog(f, s.Keyring())
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				rep, err := audit.VerifyWith(ctx, st, s.Keyring(), audit.VerifyOptions{Witness: &l})
				withW += processCPU() - c0
				if err != nil || rep.Break != nil || rep.Witness.Size != int64(n) {
					b.Fatalf("verify --witness: %+v, %v", rep, err)
				}
				checkpoints = len(l.Checkpoints)
			}
			runPlain() // warm the caches once, untimed
			plain = 0
			b.ResetTimer()
			for i := range b.N {
				// Alternate which goes first, so neither gets the warmer cache.
				if i%2 == 0 {
					runPlain()
					runWitness()
				} else {
					runWitness()
					runPlain()
				}
			}
			b.ReportMetric(plain.Seconds()/float64(b.N), "plain-cpu-s")
			b.ReportMetric(withW.Seconds()/float64(b.N), "witness-cpu-s")
			b.ReportMetric(float64(checkpoints), "witnessed-checkpoints")
		})
	}
}
