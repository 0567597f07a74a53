// Package storeaudit_test runs the audit package's tamper and append suites on the real
// store backends: every way of mutating the chain (edit, delete, insert, reorder,
// truncate, forged checkpoint) must be detected on SQLite and on PostgreSQL.
package storeaudit_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

type execer interface {
	ExecRaw(ctx context.Context, q string, args ...any) (int64, error)
}

func opener(b storetest.Backend) audittest.Opener {
	return func(t testing.TB) audittest.Backend {
		st := b.Open(t)
		return audittest.Backend{
			Reader: st,
			Update: func(ctx context.Context, fn func(audit.Tx) error) error {
				return st.InTx(ctx, func(tx store.Tx) error { return fn(tx) })
			},
			Mutator: audittest.SQLMutator{Exec: st.(execer).ExecRaw},
		}
	}
}

func TestAuditTamper(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { audittest.RunTamperSuite(t, opener(b)) })
	}
}

func TestAuditAppend(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { audittest.RunAppendSuite(t, opener(b)) })
	}
}

func BenchmarkAuditAppend(b *testing.B) {
	for _, be := range storetest.Backends(b) {
		for _, w := range []int{1, 8} {
			b.Run(be.Name+"/writers="+strconv.Itoa(w), func(b *testing.B) { audittest.BenchmarkAppend(b, opener(be), w) })
		}
	}
}

func BenchmarkAuditVerify(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("AUDIT_BENCH_N"))
	if n == 0 {
		n = 100000
	}
	for _, be := range storetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) { audittest.BenchmarkVerify(b, opener(be), n) })
	}
}
