package audittest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

// WitnessSetup is the chain of the witness suite: 25 records, checkpoints
// at 10, 20 and 25, each witnessed in a file as it was written.
type WitnessSetup struct {
	Backend   Backend
	Chain     *audit.Chain
	Signer    *Signer
	Witness   *audit.FileWitness
	Publisher *audit.Publisher
}

// NoteSigner returns the note signer of s.
func (s *Signer) NoteSigner(t testing.TB) *audit.NoteSigner {
	t.Helper()
	ns, err := audit.NewNoteSigner(s, s.Priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

// NewWitnessSetup builds the witness suite's chain on a fresh backend.
func NewWitnessSetup(t testing.TB, open Opener) *WitnessSetup {
	t.Helper()
	b := open(t)
	s := NewSigner("suite")
	c := NewChain(t, s, suiteEvery)
	w := audit.NewFileWitness(filepath.Join(t.TempDir(), "witness.log"))
	t.Cleanup(func() { w.Close() })
	ws := &WitnessSetup{Backend: b, Chain: c, Signer: s, Witness: w,
		Publisher: audit.NewPublisher(b.Reader, w, s.NoteSigner(t), s.Keyring())}
	AppendN(t, b, c, 0, 10)
	ws.Publish(t, 10)
	AppendN(t, b, c, 10, 10)
	ws.Publish(t, 20)
	AppendN(t, b, c, 20, 5)
	Checkpoint(t, b, c)
	ws.Publish(t, 25)
	return ws
}

// Publish witnesses the new checkpoints and checks the witness then holds
// size records.
func (ws *WitnessSetup) Publish(t testing.TB, size int64) {
	t.Helper()
	res, err := ws.Publisher.Publish(context.Background())
	if err != nil || res.Size != size {
		t.Fatalf("publish: %+v, %v; want the witness at %d records", res, err, size)
	}
}

// Log reads the witness file.
func (ws *WitnessSetup) Log(t testing.TB) *audit.WitnessLog {
	t.Helper()
	f, err := os.Open(ws.Witness.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := audit.ReadWitnessLog(f, ws.Signer.Keyring())
	if err != nil {
		t.Fatalf("ReadWitnessLog: %v", err)
	}
	return &l
}

// Verify verifies with (log != nil) or without the witness.
func (ws *WitnessSetup) Verify(t testing.TB, log *audit.WitnessLog) audit.Report {
	t.Helper()
	rep, err := audit.VerifyWith(context.Background(), ws.Backend.Reader, ws.Signer.Keyring(), audit.VerifyOptions{Witness: log})
	if err != nil {
		t.Fatalf("VerifyWith: %v", err)
	}
	return rep
}

// wantProblem fails unless rep lists a problem of kind at seq.
func wantProblem(t *testing.T, rep audit.Report, seq int64, kind audit.BreakKind) {
	t.Helper()
	if rep.OK() || !slices.ContainsFunc(rep.Problems, func(b audit.Break) bool { return b.Seq == seq && b.Kind == kind }) {
		t.Fatalf("want a %s problem at record %d; report %+v", kind, seq, rep)
	}
}

// RunWitnessSuite checks the attacks of someone who can write the database
// (the append-only triggers dropped) and rewrite it consistently, knowing the
// format but not the signing key: each is caught when Verify is given the
// witness; without it, those the database alone cannot show verify OK (and
// are the ones audit.NotDetectableWithoutWitness lists), the others are
// caught anyway.
func RunWitnessSuite(t *testing.T, open Opener) {
	ctx := context.Background()
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("mutation: %v", err)
		}
	}
	setHead := func(t *testing.T, ws *WitnessSetup, seq int64, hash []byte) {
		t.Helper()
		if hs, ok := ws.Backend.Mutator.(HeadSetter); ok {
			must(t, hs.SetHead(ctx, seq, hash))
		}
	}

	t.Run("intact", func(t *testing.T) {
		ws := NewWitnessSetup(t, open)
		l := ws.Log(t)
		if len(l.Checkpoints) != 3 || l.Entries != 3 || l.Checkpoints[2].Size != 25 {
			t.Fatalf("witness log %+v, want checkpoints 10, 20, 25", l)
		}
		rep := ws.Verify(t, l)
		if !rep.OK() || rep.Witness == nil || rep.Witness.Size != 25 || rep.Witness.Lag != 0 || rep.Witness.Unwitnessed != 0 {
			t.Fatalf("intact chain with its witness: %+v %+v", rep, rep.Witness)
		}
		ws.Publish(t, 25) // nothing new: nothing written
		if l := ws.Log(t); l.Entries != 3 {
			t.Fatalf("a publish with nothing new wrote %d entries", l.Entries-3)
		}
	})

	t.Run("rechain_without_checkpoints", func(t *testing.T) {
		// Delete every checkpoint, remove record 12 (one erasure's record),
		// renumber and re-hash everything after it, fix audit_head.
		ws := NewWitnessSetup(t, open)
		rows := Rows(t, ws.Backend.Reader)
		m := ws.Backend.Mutator
		must(t, m.DeleteCheckpointsAfter(ctx, 0))
		must(t, m.TruncateAfter(ctx, 11))
		prev := rows[10].Hash
		for _, r := range rows[12:] {
			f := forge(t, r, prev, func(rec *audit.Record) { rec.Seq-- })
			must(t, m.InsertRecord(ctx, f))
			prev = f.Hash
		}
		setHead(t, ws, 24, prev)
		if rep := ws.Verify(t, nil); !rep.OK() || rep.Records != 24 {
			t.Fatalf("without a witness this rewrite is undetectable, want OK: %+v", rep)
		}
		rep := ws.Verify(t, ws.Log(t))
		wantProblem(t, rep, 10, audit.MissingCheckpoint)
		wantProblem(t, rep, 20, audit.Rewritten)
		wantProblem(t, rep, 25, audit.Truncated)
	})

	t.Run("prefix_deleted_at_checkpoint", func(t *testing.T) {
		// Records 1..10 deleted (checkpoint 10 kept), far inside the
		// retention, with no prune record: caught with or without a witness.
		ws := NewWitnessSetup(t, open)
		for seq := int64(1); seq <= 10; seq++ {
			must(t, ws.Backend.Mutator.DeleteRecord(ctx, seq))
		}
		wantBreak(t, ws.Verify(t, nil), 1, audit.PrunedWithoutRecord)
		wantBreak(t, ws.Verify(t, ws.Log(t)), 1, audit.PrunedWithoutRecord)
	})

	t.Run("rollback_to_checkpoint", func(t *testing.T) {
		// Records after checkpoint 20 cut off with their checkpoint, head
		// moved back: the database looks like it did before record 21.
		ws := NewWitnessSetup(t, open)
		rows := Rows(t, ws.Backend.Reader)
		must(t, ws.Backend.Mutator.TruncateAfter(ctx, 20))
		must(t, ws.Backend.Mutator.DeleteCheckpointsAfter(ctx, 20))
		setHead(t, ws, 20, rows[19].Hash)
		if rep := ws.Verify(t, nil); !rep.OK() || rep.LastSeq != 20 || rep.Unsigned != 0 {
			t.Fatalf("without a witness a rollback is undetectable, want OK: %+v", rep)
		}
		rep := ws.Verify(t, ws.Log(t))
		wantBreak(t, rep, 21, audit.Truncated)
		wantProblem(t, rep, 25, audit.MissingCheckpoint)
		if _, ok := ws.Backend.Reader.(audit.HeadReader); ok {
			// A running process notices too: its publisher refuses.
			if _, err := ws.Publisher.Publish(ctx); !errors.Is(err, audit.ErrWitnessInconsistent) {
				t.Fatalf("publish after a rollback: %v, want ErrWitnessInconsistent", err)
			}
		}
	})

	t.Run("rollback_head_not_reset", func(t *testing.T) {
		// The same cut without moving audit_head back: the head shows it.
		ws := NewWitnessSetup(t, open)
		if _, ok := ws.Backend.Reader.(audit.HeadReader); !ok {
			t.Skip("this store keeps no separate chain head")
		}
		must(t, ws.Backend.Mutator.TruncateAfter(ctx, 20))
		must(t, ws.Backend.Mutator.DeleteCheckpointsAfter(ctx, 20))
		wantBreak(t, ws.Verify(t, nil), 21, audit.Truncated)
		wantBreak(t, ws.Verify(t, ws.Log(t)), 21, audit.Truncated)
	})

	t.Run("wipe_both_tables", func(t *testing.T) {
		ws := NewWitnessSetup(t, open)
		must(t, ws.Backend.Mutator.TruncateAfter(ctx, 0))
		must(t, ws.Backend.Mutator.DeleteCheckpointsAfter(ctx, 0))
		setHead(t, ws, 0, nil)
		if rep := ws.Verify(t, nil); !rep.OK() || rep.Records != 0 {
			t.Fatalf("without a witness an emptied trail is undetectable, want OK: %+v", rep)
		}
		rep := ws.Verify(t, ws.Log(t))
		wantBreak(t, rep, 1, audit.Truncated)
		wantProblem(t, rep, 10, audit.MissingCheckpoint)
	})

	t.Run("unsigned_tail_is_reported", func(t *testing.T) {
		// Records after the last witnessed checkpoint are protected by the
		// hash chain only: re-chaining them cannot be caught by anyone, so
		// Verify reports how many there are and since when.
		ws := NewWitnessSetup(t, open)
		AppendN(t, ws.Backend, ws.Chain, suiteRecords, 3) // 26..28, unsigned
		rows := Rows(t, ws.Backend.Reader)
		must(t, ws.Backend.Mutator.TruncateAfter(ctx, 25))
		prev := rows[24].Hash
		for _, r := range rows[25:] {
			f := forge(t, r, prev, func(rec *audit.Record) { rec.Outcome = audit.OutcomeNoop })
			must(t, ws.Backend.Mutator.InsertRecord(ctx, f))
			prev = f.Hash
		}
		setHead(t, ws, 28, prev)
		rep := ws.Verify(t, ws.Log(t))
		if !rep.OK() || rep.Unsigned != 3 || rep.Witness.Unwitnessed != 3 || !rep.UnsignedSince.Equal(rows[25].Time) {
			t.Fatalf("want OK with 3 unsigned, unwitnessed records since %v: %+v %+v", rows[25].Time, rep, rep.Witness)
		}
	})

	t.Run("witness_lag", func(t *testing.T) {
		// A checkpoint written while the witness was unreachable shows as
		// lag, and is witnessed by the next publish.
		ws := NewWitnessSetup(t, open)
		AppendN(t, ws.Backend, ws.Chain, suiteRecords, 5) // 26..30, checkpoint at 30
		rep := ws.Verify(t, ws.Log(t))
		if !rep.OK() || rep.Witness.Lag != 5 || rep.Witness.Size != 25 || rep.LastCheckpoint != 30 {
			t.Fatalf("want a witness lag of 5: %+v %+v", rep, rep.Witness)
		}
		ws.Publish(t, 30)
		if rep := ws.Verify(t, ws.Log(t)); !rep.OK() || rep.Witness.Lag != 0 {
			t.Fatalf("after publishing: %+v %+v", rep, rep.Witness)
		}
	})

	t.Run("publisher_refuses_rewritten_chain", func(t *testing.T) {
		// The database rewritten after checkpoint 25 was witnessed, then a
		// new checkpoint signed by the real process: the publisher refuses
		// to witness it, and the witness keeps the old truth.
		ws := NewWitnessSetup(t, open)
		rows := Rows(t, ws.Backend.Reader)
		must(t, ws.Backend.Mutator.DeleteCheckpointsAfter(ctx, 20))
		must(t, ws.Backend.Mutator.TruncateAfter(ctx, 20))
		prev := rows[19].Hash
		for _, r := range rows[20:] {
			f := forge(t, r, prev, func(rec *audit.Record) { rec.Reason = "forged" })
			must(t, ws.Backend.Mutator.InsertRecord(ctx, f))
			prev = f.Hash
		}
		setHead(t, ws, 25, prev)
		AppendN(t, ws.Backend, ws.Chain, suiteRecords, 5) // the real process checkpoints at 30
		fresh := audit.NewPublisher(ws.Backend.Reader, ws.Witness, ws.Signer.NoteSigner(t), ws.Signer.Keyring())
		if _, err := fresh.Publish(ctx); err == nil {
			t.Fatal("the publisher witnessed a checkpoint of a rewritten chain")
		}
		if l := ws.Log(t); l.Checkpoints[len(l.Checkpoints)-1].Size != 25 {
			t.Fatalf("witness moved to %d", l.Checkpoints[len(l.Checkpoints)-1].Size)
		}
		wantProblem(t, ws.Verify(t, ws.Log(t)), 25, audit.Rewritten)
	})

	t.Run("signed_prune_accepted", func(t *testing.T) {
		// A real prune (through the store) of records old enough: verifies
		// with and without the witness, and the witness still matches.
		ws := NewWitnessSetup(t, open)
		now := Rows(t, ws.Backend.Reader)[24].Time.AddDate(3, 0, 0)
		plan, err := audit.PlanPrune(ctx, ws.Backend.Reader, ws.Signer.Keyring(), now.AddDate(0, -24, 0), now, 24)
		if err != nil || plan.ToSeq != 25 {
			t.Fatalf("plan %+v, %v", plan, err)
		}
		later, err := audit.NewChain(ws.Signer, audit.Options{Checker: &audit.StrictChecker{}, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		err = ws.Backend.Update(ctx, func(tx audit.Tx) error {
			ptx, ok := tx.(audit.PruneTx)
			if !ok {
				t.Fatalf("%T does not implement audit.PruneTx", tx)
			}
			// Today the records are too young: refused.
			if _, _, err := ws.Chain.Prune(ctx, ptx, plan, "cli"); !errors.Is(err, audit.ErrPruneTooYoung) {
				t.Fatalf("prune of records written today: %v, want ErrPruneTooYoung", err)
			}
			_, _, err := later.Prune(ctx, ptx, plan, "cli")
			return err
		})
		if err != nil {
			t.Fatalf("prune: %v", err)
		}
		ws.Publish(t, 26)
		for _, l := range []*audit.WitnessLog{nil, ws.Log(t)} {
			rep := ws.Verify(t, l)
			if !rep.OK() || rep.FirstSeq != 26 || rep.Records != 1 || len(rep.Prunes) != 1 || rep.Prunes[0].ToSeq != 25 {
				t.Fatalf("after a signed prune of 1-25 (witness %v): %+v", l != nil, rep)
			}
		}
	})
}
