package audittest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

// The tamper suite's chain: 25 records, a checkpoint every 10 records and one
// at the end, so checkpoints sit at 10, 20 and 25.
const (
	suiteRecords = 25
	suiteEvery   = 10
)

// subject is a made-up subject reference (not an HMAC of anyone).
var subject = strings.Repeat("ab", 32)

// SampleRecord returns a valid record for index i, varying the action,
// counts, ids and outcome (never personal data).
func SampleRecord(i int) audit.Record {
	acts := []audit.Action{audit.ActionRequestReceived, audit.ActionRequestVerified,
		audit.ActionErasureIntercomDeleted, audit.ActionErasureLocalPurged, audit.ActionRequestCompleted}
	r := audit.Record{
		Actor:     "worker",
		Action:    acts[i%len(acts)],
		RequestID: fmt.Sprintf("req_%04d", i/5),
		Outcome:   audit.OutcomeSuccess,
		Counts:    map[string]int64{"contacts": int64(i % 3), "parts": int64(i)},
		ObjectIDs: []string{fmt.Sprintf("%024x", i)},
		Reason:    "step " + fmt.Sprint(i),
	}
	if i%2 == 0 {
		r.SubjectRef = subject
	}
	if i%5 == 0 {
		r.RequestNature, r.RequestMethod = "deletion", "email"
	}
	return r
}

// NewChain returns a chain for the suites: shape checks only (no pii
// engine), a checkpoint every `every` records.
func NewChain(t testing.TB, s audit.Signer, every int) *audit.Chain {
	t.Helper()
	c, err := audit.NewChain(s, audit.Options{CheckpointEvery: every, Checker: &audit.StrictChecker{}})
	if err != nil {
		t.Fatalf("NewChain: %v", err)
	}
	return c
}

// AppendN appends n sample records, each in its own transaction, starting
// with SampleRecord(from).
func AppendN(t testing.TB, b Backend, c *audit.Chain, from, n int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		err := b.Update(ctx, func(tx audit.Tx) error {
			_, err := c.Append(ctx, tx, SampleRecord(i))
			return err
		})
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// Checkpoint signs the head in its own transaction.
func Checkpoint(t testing.TB, b Backend, c *audit.Chain) {
	t.Helper()
	ctx := context.Background()
	if err := b.Update(ctx, func(tx audit.Tx) error { _, _, err := c.Checkpoint(ctx, tx); return err }); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
}

// Rows reads every stored record.
func Rows(t testing.TB, r audit.Reader) []audit.StoredRecord {
	t.Helper()
	var out []audit.StoredRecord
	for rec, err := range r.Records(context.Background(), 1) {
		if err != nil {
			t.Fatalf("reading records: %v", err)
		}
		rec.Body, rec.Hash, rec.PrevHash = bytes.Clone(rec.Body), bytes.Clone(rec.Hash), bytes.Clone(rec.PrevHash)
		out = append(out, rec)
	}
	return out
}

func verify(t *testing.T, b Backend, s *Signer) audit.Report {
	t.Helper()
	rep, err := audit.Verify(context.Background(), b.Reader, s.Keyring())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func wantBreak(t *testing.T, rep audit.Report, seq int64, kind audit.BreakKind) {
	t.Helper()
	if rep.Break == nil {
		t.Fatalf("tampering not detected: report %+v", rep)
	}
	if rep.Break.Seq != seq || rep.Break.Kind != kind {
		t.Fatalf("break = seq %d %s (%s), want seq %d %s", rep.Break.Seq, rep.Break.Kind, rep.Break.Detail, seq, kind)
	}
	if !errors.Is(rep.Err(), audit.ErrBroken) {
		t.Fatalf("Report.Err() = %v, want ErrBroken", rep.Err())
	}
}

// forge returns row with its body changed by edit and the body's hash and
// prev recomputed (prev set to prevHash), as an attacker who knows the
// format would.
func forge(t *testing.T, row audit.StoredRecord, prevHash []byte, edit func(*audit.Record)) audit.StoredRecord {
	t.Helper()
	rec, err := audit.DecodeBody(row.Body)
	if err != nil {
		t.Fatalf("DecodeBody: %v", err)
	}
	if edit != nil {
		edit(&rec)
	}
	rec.PrevHash = prevHash
	body := audit.AppendBody(nil, &rec)
	return audit.StoredRecord{Seq: rec.Seq, Time: rec.Time, Action: string(rec.Action), RequestID: rec.RequestID,
		SubjectRef: rec.SubjectRef, Body: body, PrevHash: prevHash, Hash: audit.HashBody(body)}
}

// RunTamperSuite checks that every kind of tampering with the stored rows is
// detected by audit.Verify and reported as the right first broken link.
func RunTamperSuite(t *testing.T, open Opener) {
	ctx := context.Background()
	setup := func(t *testing.T) (Backend, *audit.Chain, *Signer) {
		t.Helper()
		b := open(t)
		s := NewSigner("suite")
		c := NewChain(t, s, suiteEvery)
		AppendN(t, b, c, 0, suiteRecords)
		Checkpoint(t, b, c)
		return b, c, s
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("mutation: %v", err)
		}
	}

	t.Run("intact", func(t *testing.T) {
		b, _, s := setup(t)
		rep := verify(t, b, s)
		if !rep.OK() || rep.Records != suiteRecords || rep.FirstSeq != 1 || rep.LastSeq != suiteRecords ||
			rep.Checkpoints != 3 || rep.LastCheckpoint != suiteRecords || rep.Unsigned != 0 {
			t.Fatalf("intact chain: %+v", rep)
		}
		if rep.Break != nil {
			t.Fatalf("intact chain broken: %v", rep.Break)
		}
	})
	// One mutation each, and the first broken link it must leave.
	notTheHash := sha256.Sum256([]byte("not the hash"))
	for _, m := range []struct {
		name   string
		mutate func(Mutator) error
		seq    int64
		kind   audit.BreakKind
	}{
		{"edit_hash", func(m Mutator) error { return m.UpdateHash(ctx, 7, notTheHash[:]) }, 7, audit.Edited},
		{"delete", func(m Mutator) error { return m.DeleteRecord(ctx, 7) }, 7, audit.Deleted},
		{"delete_checkpointed", func(m Mutator) error { return m.DeleteRecord(ctx, 10) }, 10, audit.Deleted},
		{"reorder_adjacent", func(m Mutator) error { return m.SwapSeq(ctx, 7, 8) }, 7, audit.Reordered},
		{"reorder_distant", func(m Mutator) error { return m.SwapSeq(ctx, 5, 15) }, 5, audit.Reordered},
		{"truncate", func(m Mutator) error { return m.TruncateAfter(ctx, 15) }, 16, audit.Truncated},
		{"truncate_all", func(m Mutator) error { return m.TruncateAfter(ctx, 0) }, 1, audit.Truncated},
	} {
		t.Run(m.name, func(t *testing.T) {
			b, _, s := setup(t)
			must(t, m.mutate(b.Mutator))
			wantBreak(t, verify(t, b, s), m.seq, m.kind)
		})
	}
	t.Run("edit_body", func(t *testing.T) {
		b, _, s := setup(t)
		row := Rows(t, b.Reader)[6]
		body := bytes.Replace(row.Body, []byte(`"outcome":"success"`), []byte(`"outcome":"failure"`), 1)
		if bytes.Equal(body, row.Body) {
			t.Fatal("test record has no outcome to edit")
		}
		must(t, b.Mutator.UpdateRecordBody(ctx, 7, body))
		wantBreak(t, verify(t, b, s), 7, audit.Edited)
	})
	t.Run("edit_body_and_rehash", func(t *testing.T) {
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		f := forge(t, rows[11], rows[10].Hash, func(r *audit.Record) { r.Outcome = audit.OutcomeNoop })
		must(t, b.Mutator.UpdateRecordBody(ctx, 12, f.Body))
		must(t, b.Mutator.UpdateHash(ctx, 12, f.Hash))
		wantBreak(t, verify(t, b, s), 12, audit.Edited)
	})
	t.Run("edit_checkpointed_and_rehash", func(t *testing.T) {
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		f := forge(t, rows[9], rows[8].Hash, func(r *audit.Record) { r.Counts["contacts"]++ })
		must(t, b.Mutator.UpdateRecordBody(ctx, 10, f.Body))
		must(t, b.Mutator.UpdateHash(ctx, 10, f.Hash))
		wantBreak(t, verify(t, b, s), 10, audit.Edited)
	})
	t.Run("delete_and_renumber", func(t *testing.T) {
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		must(t, b.Mutator.TruncateAfter(ctx, 6))
		for _, r := range rows[7:] { // records 8..25 move down to 7..24
			r.Seq--
			must(t, b.Mutator.InsertRecord(ctx, r))
		}
		wantBreak(t, verify(t, b, s), 7, audit.Deleted)
	})
	t.Run("insert_middle", func(t *testing.T) {
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		forged := forge(t, rows[6], rows[5].Hash, func(r *audit.Record) { r.Reason = "forged" })
		must(t, b.Mutator.TruncateAfter(ctx, 6))
		must(t, b.Mutator.InsertRecord(ctx, forged))
		for _, r := range rows[6:] { // records 7..25 move up to 8..26
			r.Seq++
			must(t, b.Mutator.InsertRecord(ctx, r))
		}
		wantBreak(t, verify(t, b, s), 7, audit.Inserted)
	})
	t.Run("insert_tail_unlinked", func(t *testing.T) {
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		junk := sha256.Sum256([]byte("some other chain"))
		forged := forge(t, rows[24], junk[:], func(r *audit.Record) { r.Seq = 26 })
		must(t, b.Mutator.InsertRecord(ctx, forged))
		wantBreak(t, verify(t, b, s), 26, audit.Inserted)
	})
	t.Run("insert_tail_linked_is_unsigned", func(t *testing.T) {
		// A perfect forgery after the last checkpoint cannot be told from a
		// real append without the signing key; Verify reports it as unsigned.
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		forged := forge(t, rows[24], rows[24].Hash, func(r *audit.Record) { r.Seq = 26 })
		must(t, b.Mutator.InsertRecord(ctx, forged))
		rep := verify(t, b, s)
		if !rep.OK() || rep.Unsigned != 1 || rep.LastCheckpoint != 25 {
			t.Fatalf("report %+v, want OK with 1 unsigned record after checkpoint 25", rep)
		}
	})
	t.Run("truncate_unsigned_tail_is_counted", func(t *testing.T) {
		b, c, s := setup(t)
		AppendN(t, b, c, suiteRecords, 3) // 26..28, unsigned
		if rep := verify(t, b, s); !rep.OK() || rep.Unsigned != 3 {
			t.Fatalf("before: %+v", rep)
		}
		must(t, b.Mutator.TruncateAfter(ctx, 26))
		if _, ok := b.Reader.(audit.HeadReader); ok {
			// The store's head still says 28: the cut shows.
			wantBreak(t, verify(t, b, s), 27, audit.Truncated)
			hs, ok := b.Mutator.(HeadSetter)
			if !ok {
				return
			}
			must(t, hs.SetHead(ctx, 26, Rows(t, b.Reader)[25].Hash))
		}
		// With the head moved back too, only the count differs.
		if rep := verify(t, b, s); !rep.OK() || rep.Unsigned != 1 || rep.LastSeq != 26 {
			t.Fatalf("after cutting the unsigned tail: %+v", rep)
		}
	})
	t.Run("delete_prefix_at_checkpoint", func(t *testing.T) {
		// Removing the oldest records up to a checkpoint without a signed
		// prune record (audit prune writes one) is a break, however old
		// the records: the remaining chain links to a signed hash, but
		// nothing says the records were removed, when, or under which rule.
		b, _, s := setup(t)
		for seq := int64(1); seq <= 10; seq++ {
			must(t, b.Mutator.DeleteRecord(ctx, seq))
		}
		wantBreak(t, verify(t, b, s), 1, audit.PrunedWithoutRecord)
	})
	t.Run("delete_beginning", func(t *testing.T) {
		b, _, s := setup(t)
		for seq := int64(1); seq <= 7; seq++ {
			must(t, b.Mutator.DeleteRecord(ctx, seq))
		}
		wantBreak(t, verify(t, b, s), 1, audit.Deleted)
	})
	t.Run("forge_checkpoint_other_key", func(t *testing.T) {
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		evil := NewSigner("attacker")
		evil.ID = s.ID // claims to be the real key
		must(t, b.Update(ctx, func(tx audit.Tx) error {
			return tx.InsertCheckpoint(ctx, signed(evil, 15, rows[14].Hash, rows[14].Time))
		}))
		wantBreak(t, verify(t, b, s), 15, audit.BadSignature)
	})
	t.Run("forge_checkpoint_unknown_key", func(t *testing.T) {
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		must(t, b.Update(ctx, func(tx audit.Tx) error {
			return tx.InsertCheckpoint(ctx, signed(NewSigner("attacker"), 15, rows[14].Hash, rows[14].Time))
		}))
		wantBreak(t, verify(t, b, s), 15, audit.BadSignature)
	})
	t.Run("rewrite_after_checkpoint", func(t *testing.T) {
		// Rewrite record 12 and recompute every later hash and link: the
		// chain is self-consistent, but checkpoint 20 no longer matches.
		b, _, s := setup(t)
		rows := Rows(t, b.Reader)
		must(t, b.Mutator.TruncateAfter(ctx, 11))
		prev := rows[10].Hash
		for i, r := range rows[11:] {
			f := forge(t, r, prev, func(rec *audit.Record) {
				if i == 0 {
					rec.Outcome = audit.OutcomeFailure
				}
			})
			must(t, b.Mutator.InsertRecord(ctx, f))
			prev = f.Hash
		}
		rep := verify(t, b, s)
		wantBreak(t, rep, 20, audit.Edited)
		if rep.LastCheckpoint != 10 {
			t.Fatalf("last good checkpoint = %d, want 10", rep.LastCheckpoint)
		}
	})
}

// signed returns a checkpoint of (seq, hash) signed by s.
func signed(s *Signer, seq int64, hash []byte, at time.Time) audit.Checkpoint {
	c := audit.Checkpoint{Seq: seq, Hash: hash, Time: at, KeyID: s.ID}
	c.Signature, _ = s.Sign(audit.CheckpointMessage(c))
	return c
}

// RunAppendSuite checks the writing side of a store: concurrent appends keep
// one gap-free chain, a transaction that fails leaves nothing behind, several
// appends in one transaction chain to each other, and Checkpoint does not
// sign the same head twice.
func RunAppendSuite(t *testing.T, open Opener) {
	ctx := context.Background()
	t.Run("concurrent_appends", func(t *testing.T) {
		b := open(t)
		s := NewSigner("suite")
		c := NewChain(t, s, 16)
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := b.Update(ctx, func(tx audit.Tx) error {
						_, err := c.Append(ctx, tx, SampleRecord(w*each+i))
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent append: %v", err)
		}
		Checkpoint(t, b, c)
		rep := verify(t, b, s)
		if !rep.OK() || rep.Records != writers*each || rep.LastSeq != writers*each || rep.Unsigned != 0 {
			t.Fatalf("after %d concurrent appends: %+v", writers*each, rep)
		}
	})
	t.Run("rollback_leaves_nothing", func(t *testing.T) {
		b := open(t)
		s := NewSigner("suite")
		c := NewChain(t, s, 2)
		AppendN(t, b, c, 0, 3)
		boom := errors.New("the state change failed")
		err := b.Update(ctx, func(tx audit.Tx) error {
			for i := range 3 { // crosses a checkpoint boundary too
				if _, err := c.Append(ctx, tx, SampleRecord(i)); err != nil {
					return err
				}
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want the function's error", err)
		}
		if n := len(Rows(t, b.Reader)); n != 3 {
			t.Fatalf("%d records after a rolled-back transaction, want 3", n)
		}
		AppendN(t, b, c, 3, 1)
		rep := verify(t, b, s)
		if !rep.OK() || rep.LastSeq != 4 || rep.LastCheckpoint != 4 {
			t.Fatalf("after rollback and one more append: %+v", rep)
		}
	})
	t.Run("several_appends_in_one_tx", func(t *testing.T) {
		b := open(t)
		s := NewSigner("suite")
		c := NewChain(t, s, 1000)
		var got []audit.Record
		err := b.Update(ctx, func(tx audit.Tx) error {
			for i := range 3 {
				r, err := c.Append(ctx, tx, SampleRecord(i))
				if err != nil {
					return err
				}
				got = append(got, r)
			}
			_, _, err := c.Checkpoint(ctx, tx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			if r.Seq != int64(i+1) || (i > 0 && !bytes.Equal(r.PrevHash, got[i-1].Hash)) {
				t.Fatalf("record %d: seq %d, prev %x", i, r.Seq, r.PrevHash)
			}
		}
		if rep := verify(t, b, s); !rep.OK() || rep.LastSeq != 3 || rep.LastCheckpoint != 3 {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("checkpoint_once_per_head", func(t *testing.T) {
		b := open(t)
		s := NewSigner("suite")
		c := NewChain(t, s, 1000)
		var wrote []bool
		checkpoint := func() {
			t.Helper()
			if err := b.Update(ctx, func(tx audit.Tx) error {
				_, ok, err := c.Checkpoint(ctx, tx)
				wrote = append(wrote, ok)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		checkpoint()
		checkpoint()
		AppendN(t, b, c, 0, 1)
		checkpoint()
		checkpoint()
		if fmt.Sprint(wrote) != "[false false true false]" {
			t.Fatalf("Checkpoint wrote %v, want [false false true false] (empty, empty, new head, same head)", wrote)
		}
		if rep := verify(t, b, s); !rep.OK() || rep.Checkpoints != 1 {
			t.Fatalf("%+v", rep)
		}
	})
}
