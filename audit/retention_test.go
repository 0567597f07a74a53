package audit_test

import (
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

// TestPruneAtPrunePoint: removing the records up to PrunePoint leaves a
// chain that verifies.
func TestPruneAtPrunePoint(t *testing.T) {
	ctx := context.Background()
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
	cutoff, _ := audit.RetentionCutoff(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 0)
	p, err := audit.PrunePoint(ctx, m, cutoff)
	if err != nil || p == 0 || p%10 != 0 {
		t.Fatalf("prune point %d, %v", p, err)
	}
	for _, r := range audittest.Rows(t, m) {
		if r.Seq <= p && !r.Time.Before(cutoff) {
			t.Fatalf("record %d (time %v) is not past the cutoff %v", r.Seq, r.Time, cutoff)
		}
	}
	mut := audit.MemMutator{M: m}
	for seq := int64(1); seq <= p; seq++ {
		if err := mut.DeleteRecord(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := audit.Verify(ctx, m, s.Keyring())
	if err != nil || !rep.OK() || rep.FirstSeq != p+1 {
		t.Fatalf("after pruning to %d: %+v %v", p, rep, err)
	}
}
