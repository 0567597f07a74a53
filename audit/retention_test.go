package audit_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

func TestRetentionCutoff(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	if c, err := audit.RetentionCutoff(now, 0); err != nil || !c.Equal(time.Date(2019, 11, 28, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("default: %v %v", c, err)
	}
	if c, err := audit.RetentionCutoff(now, 24); err != nil || !c.Equal(time.Date(2024, 11, 28, 12, 0, 0, 0, time.UTC)) {
		t.Fatalf("24 months: %v %v", c, err)
	}
	if _, err := audit.RetentionCutoff(now, 23); !errors.Is(err, audit.ErrRetentionTooShort) {
		t.Fatalf("23 months: %v", err)
	}
}

// TestPrune: PlanPrune refuses records younger than the retention, and a
// prune through Chain.Prune leaves a chain that verifies with the prune
// accepted; deleting the same records without a prune record is a break.
func TestPrune(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	build := func(t *testing.T) (*audit.MemoryLog, *audit.Chain, *audittest.Signer) {
		m := audit.NewMemoryLog()
		s := audittest.NewSigner("r")
		clock := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
		c, err := audit.NewChain(s, audit.Options{CheckpointEvery: 10, Checker: &audit.StrictChecker{},
			Now: func() time.Time { clock = clock.Add(30 * 24 * time.Hour); return clock }})
		if err != nil {
			t.Fatal(err)
		}
		b := audittest.Backend{Reader: m, Update: m.Update}
		audittest.AppendN(t, b, c, 0, 100) // about 8 years, checkpoints every 10
		audittest.Checkpoint(t, b, c)
		return m, c, s
	}
	t.Run("too_young", func(t *testing.T) {
		m, _, s := build(t)
		for _, months := range []int{0, 24} {
			before := now.AddDate(0, -months+1, 0)
			if months == 0 {
				before = now.AddDate(-6, 0, 0) // inside the 7-year default
			}
			if _, err := audit.PlanPrune(ctx, m, s.Keyring(), before, now, months); !errors.Is(err, audit.ErrPruneTooYoung) {
				t.Fatalf("months %d, before %v: %v, want ErrPruneTooYoung", months, before, err)
			}
		}
		if _, err := audit.PlanPrune(ctx, m, s.Keyring(), now.AddDate(-3, 0, 0), now, 23); !errors.Is(err, audit.ErrRetentionTooShort) {
			t.Fatalf("23 months: %v, want ErrRetentionTooShort", err)
		}
	})
	t.Run("signed_prune_verifies", func(t *testing.T) {
		m, c, s := build(t)
		cutoff, _ := audit.RetentionCutoff(now, 0)
		plan, err := audit.PlanPrune(ctx, m, s.Keyring(), cutoff, now, 0)
		if err != nil || plan.ToSeq == 0 || plan.ToSeq%10 != 0 || plan.FromSeq != 1 {
			t.Fatalf("plan %+v, %v", plan, err)
		}
		for _, r := range audittest.Rows(t, m) {
			if r.Seq <= plan.ToSeq && !r.Time.Before(cutoff) {
				t.Fatalf("record %d (time %v) is not past the cutoff %v", r.Seq, r.Time, cutoff)
			}
		}
		var n int64
		err = m.Update(ctx, func(tx audit.Tx) error {
			_, n, err = c.Prune(ctx, tx.(audit.PruneTx), plan, "cli")
			return err
		})
		if err != nil || n != plan.Records() {
			t.Fatalf("prune: %d records, %v", n, err)
		}
		rep, err := audit.Verify(ctx, m, s.Keyring())
		if err != nil || !rep.OK() || rep.FirstSeq != plan.ToSeq+1 || len(rep.Prunes) != 1 || rep.Prunes[0].ToSeq != plan.ToSeq || rep.Unsigned != 0 {
			t.Fatalf("after pruning to %d: %+v %v", plan.ToSeq, rep, err)
		}
		// A second prune later continues from the first.
		plan2, err := audit.PlanPrune(ctx, m, s.Keyring(), cutoff, now.AddDate(1, 0, 0), 0)
		if err != nil {
			t.Fatal(err)
		}
		if plan2.ToSeq != 0 {
			t.Fatalf("nothing older than the first cutoff is left, plan %+v", plan2)
		}
	})
	t.Run("stale_plan_refused", func(t *testing.T) {
		m, c, s := build(t)
		cutoff, _ := audit.RetentionCutoff(now, 0)
		plan, _ := audit.PlanPrune(ctx, m, s.Keyring(), cutoff, now, 0)
		plan.Hash = bytes.Repeat([]byte{1}, 32)
		err := m.Update(ctx, func(tx audit.Tx) error {
			_, _, err := c.Prune(ctx, tx.(audit.PruneTx), plan, "cli")
			return err
		})
		if !errors.Is(err, audit.ErrPruneStale) || m.Len() != 100 {
			t.Fatalf("stale plan: %v, %d records", err, m.Len())
		}
	})
	t.Run("deleted_without_prune_record", func(t *testing.T) {
		m, _, s := build(t)
		mut := audit.MemMutator{M: m}
		for seq := int64(1); seq <= 10; seq++ {
			if err := mut.DeleteRecord(ctx, seq); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := audit.Verify(ctx, m, s.Keyring())
		if err != nil || rep.OK() || rep.Break.Kind != audit.PrunedWithoutRecord || rep.Break.Seq != 1 {
			t.Fatalf("records 1-10 deleted without a prune record: %+v %v", rep, err)
		}
	})
}
