// Package storeaudit_test runs the audit package's tamper and append suites on the real
// store backends: every way of mutating the chain (edit, delete, insert, reorder,
// truncate, forged checkpoint) must be detected on SQLite and on PostgreSQL.
package storeaudit_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/store/storetest"
)

type execer interface {
	ExecRaw(ctx context.Context, q string, args ...any) (int64, error)
}

// unguard drops each backend's append-only triggers (migrations 2 and 3), as the
// table owner could, so that the tamper suite can change rows and prove that
// verification notices.
var unguard = map[string][]string{
	"sqlite": {
		`DROP TRIGGER audit_records_no_update`, `DROP TRIGGER audit_records_no_delete`,
		`DROP TRIGGER audit_checkpoints_no_update`, `DROP TRIGGER audit_checkpoints_no_delete`,
		`DROP TRIGGER audit_head_forward_only`, `DROP TRIGGER audit_head_no_delete`,
	},
	"postgres": {
		`DROP TRIGGER audit_records_no_update ON audit_records`,
		`DROP TRIGGER audit_records_no_delete ON audit_records`,
		`DROP TRIGGER audit_records_no_truncate ON audit_records`,
		`DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints`,
		`DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints`,
		`DROP TRIGGER audit_head_forward_only ON audit_head`,
	},
}

// opener opens a new store of b with the append-only triggers in place.
func opener(b storetest.Backend) audittest.Opener { return open(b, false) }

// unguarded opens a new store of b and drops its append-only triggers once,
// for the tamper suite.
func unguarded(b storetest.Backend) audittest.Opener { return open(b, true) }

func open(b storetest.Backend, lift bool) audittest.Opener {
	return func(t testing.TB) audittest.Backend {
		st := b.Open(t)
		exec := st.(execer).ExecRaw
		if lift {
			for _, q := range unguard[b.Name] {
				if _, err := exec(context.Background(), q); err != nil {
					t.Fatalf("unguard: %s: %v", q, err)
				}
			}
		}
		return audittest.Backend{
			Reader: st,
			Update: func(ctx context.Context, fn func(audit.Tx) error) error {
				return st.InTx(ctx, func(tx store.Tx) error { return fn(tx) })
			},
			Mutator: audittest.SQLMutator{Exec: exec},
		}
	}
}

// TestAuditRowsAppendOnly: with the store's triggers in place, no UPDATE,
// DELETE (or, on PostgreSQL, TRUNCATE) of audit records or checkpoints goes
// through, whoever sends it, and the chain stays intact; appending still works.
func TestAuditRowsAppendOnly(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			be := opener(b)(t)
			s := audittest.NewSigner("guard")
			c := audittest.NewChain(t, s, 5)
			audittest.AppendN(t, be, c, 0, 12)
			audittest.Checkpoint(t, be, c)
			exec := be.Mutator.(audittest.SQLMutator).Exec
			refused := []string{
				`UPDATE audit_records SET body = body WHERE seq = 3`,
				`UPDATE audit_records SET seq = -1 WHERE seq = 12`,
				`DELETE FROM audit_records WHERE seq = 12`,
				`DELETE FROM audit_records`,
				`UPDATE audit_checkpoints SET seq = seq`,
				`DELETE FROM audit_checkpoints`,
				`UPDATE audit_head SET seq = 3`,
				`DELETE FROM audit_head`,
				`INSERT INTO audit_prunes (record_seq, from_seq, to_seq, hash, recorded_at) VALUES (20, 1, 0, X'00', 0)`,
			}
			if b.Name == "postgres" {
				refused[len(refused)-1] = `INSERT INTO audit_prunes (record_seq, from_seq, to_seq, hash, recorded_at) VALUES (20, 1, 0, '\x00', 0)`
				refused = append(refused, `TRUNCATE audit_records`, `TRUNCATE audit_checkpoints`, `TRUNCATE audit_head`)
			}
			for _, q := range refused {
				n, err := exec(ctx, q)
				if err == nil {
					t.Errorf("%s: accepted (%d rows)", q, n)
					continue
				}
				if !strings.Contains(err.Error(), "append-only") && !strings.Contains(q, "audit_prunes") {
					t.Errorf("%s: refused, but not by the append-only guard: %v", q, err)
				}
			}
			audittest.AppendN(t, be, c, 12, 3)
			rows := audittest.Rows(t, be.Reader)
			if len(rows) != 15 || rows[14].Seq != 15 {
				t.Fatalf("after the refused statements and 3 appends: %d rows", len(rows))
			}
			rep, err := audit.Verify(ctx, be.Reader, s.Keyring())
			if err != nil || !rep.OK() || rep.Records != 15 {
				t.Fatalf("verify after the refused statements: %+v, %v", rep, err)
			}
		})
	}
}

func TestAuditTamper(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { audittest.RunTamperSuite(t, unguarded(b)) })
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

func TestAuditWitness(t *testing.T) {
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) { audittest.RunWitnessSuite(t, unguarded(b)) })
	}
}

// TestAuditPruneGuard: with the triggers in place, records are deleted only
// through a prune (a row in audit_prunes, written by Chain.Prune with its
// signed record); later records stay undeletable.
func TestAuditPruneGuard(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends(t) {
		t.Run(b.Name, func(t *testing.T) {
			ws := audittest.NewWitnessSetup(t, opener(b))
			exec := ws.Backend.Mutator.(audittest.SQLMutator).Exec
			now := audittest.Rows(t, ws.Backend.Reader)[24].Time.AddDate(2, 1, 0)
			plan, err := audit.PlanPrune(ctx, ws.Backend.Reader, ws.Signer.Keyring(), now.AddDate(0, -24, 0), now, 24)
			if err != nil || plan.ToSeq != 25 {
				t.Fatalf("plan %+v %v", plan, err)
			}
			later, err := audit.NewChain(ws.Signer, audit.Options{Checker: &audit.StrictChecker{}, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := ws.Backend.Update(ctx, func(tx audit.Tx) error {
				_, n, err = later.Prune(ctx, tx.(audit.PruneTx), plan, "cli")
				return err
			}); err != nil || n != 25 {
				t.Fatalf("prune: %d records, %v", n, err)
			}
			if _, err := exec(ctx, `DELETE FROM audit_records WHERE seq = 26`); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("deleting the prune record itself: %v", err)
			}
			rep, err := audit.VerifyWith(ctx, ws.Backend.Reader, ws.Signer.Keyring(), audit.VerifyOptions{})
			if err != nil || !rep.OK() || rep.FirstSeq != 26 || len(rep.Prunes) != 1 || rep.Head != 26 {
				t.Fatalf("after the prune: %+v %v", rep, err)
			}
		})
	}
}
