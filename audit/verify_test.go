package audit_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/audit/audittest"
)

func chainOf(t testing.TB, n, every int) (*audit.MemoryLog, *audittest.Signer) {
	t.Helper()
	m := audit.NewMemoryLog()
	s := audittest.NewSigner("verify")
	c := audittest.NewChain(t, s, every)
	b := audittest.Backend{Reader: m, Update: m.Update}
	audittest.AppendN(t, b, c, 0, n)
	audittest.Checkpoint(t, b, c)
	return m, s
}

func TestVerifyEmpty(t *testing.T) {
	rep, err := audit.Verify(context.Background(), audit.NewMemoryLog(), audit.Keyring{})
	if err != nil || !rep.OK() || rep.Records != 0 || rep.LastSeq != 0 || rep.LastHash != nil {
		t.Fatalf("empty chain: %+v, %v", rep, err)
	}
}

func TestVerifyWrongKeyring(t *testing.T) {
	m, _ := chainOf(t, 5, 10)
	rep, err := audit.Verify(context.Background(), m, audittest.NewSigner("other").Keyring())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Break == nil || rep.Break.Kind != audit.BadSignature || rep.Break.Seq != 5 {
		t.Fatalf("verifying with another key: %+v", rep.Break)
	}
}

func TestVerifyColumnEdit(t *testing.T) {
	m, s := chainOf(t, 5, 10)
	if err := (audit.MemMutator{M: m}).UpdateAction(3, string(audit.ActionRequestCancelled)); err != nil {
		t.Fatal(err)
	}
	rep, _ := audit.Verify(context.Background(), m, s.Keyring())
	if rep.Break == nil || rep.Break.Kind != audit.Edited || rep.Break.Seq != 3 {
		t.Fatalf("edited action column: %+v", rep.Break)
	}
}

func TestVerifyMalformedBody(t *testing.T) {
	m, s := chainOf(t, 5, 10)
	mut := audit.MemMutator{M: m}
	body := []byte(`{"not":"a record"}`)
	_ = mut.UpdateRecordBody(context.Background(), 2, body)
	_ = mut.UpdateHash(context.Background(), 2, audit.HashBody(body))
	rep, _ := audit.Verify(context.Background(), m, s.Keyring())
	if rep.Break == nil || rep.Break.Kind != audit.Edited || rep.Break.Seq != 2 {
		t.Fatalf("malformed body: %+v", rep.Break)
	}
}

func TestVerifyReportCounts(t *testing.T) {
	m, s := chainOf(t, 23, 10)
	ctx := context.Background()
	// Three more without a checkpoint.
	c := audittest.NewChain(t, s, 1000)
	audittest.AppendN(t, audittest.Backend{Reader: m, Update: m.Update}, c, 23, 3)
	rep, err := audit.Verify(ctx, m, s.Keyring())
	if err != nil || !rep.OK() {
		t.Fatal(rep, err)
	}
	last := audittest.Rows(t, m)[25]
	if rep.Records != 26 || rep.LastSeq != 26 || rep.Checkpoints != 3 || rep.LastCheckpoint != 23 ||
		rep.Unsigned != 3 || !bytes.Equal(rep.LastHash, last.Hash) {
		t.Fatalf("report %+v", rep)
	}
	if rep.Err() != nil {
		t.Fatal("Err on a whole chain")
	}
}

type failingReader struct {
	audit.Reader
	after int
}

var errDisk = errors.New("disk on fire")

func (f failingReader) Records(ctx context.Context, from int64) iter.Seq2[audit.StoredRecord, error] {
	return func(yield func(audit.StoredRecord, error) bool) {
		n := 0
		for r, err := range f.Reader.Records(ctx, from) {
			if n == f.after {
				yield(audit.StoredRecord{}, errDisk)
				return
			}
			n++
			if !yield(r, err) {
				return
			}
		}
	}
}

func TestVerifyReadError(t *testing.T) {
	m, s := chainOf(t, 5, 10)
	_, err := audit.Verify(context.Background(), failingReader{m, 3}, s.Keyring())
	if !errors.Is(err, errDisk) {
		t.Fatalf("read error: %v", err)
	}
}

func TestVerifyCancelled(t *testing.T) {
	m, s := chainOf(t, 5, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := audit.Verify(ctx, m, s.Keyring()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// FuzzVerify replaces one record's body (and optionally fixes its hash) with
// arbitrary bytes: Verify never panics and reports a break unless the body
// is unchanged.
func FuzzVerify(f *testing.F) {
	m0, _ := chainOf(f, 6, 3)
	rows := audittest.Rows(f, m0)
	f.Add(uint8(2), rows[2].Body, false)
	f.Add(uint8(3), bytes.Replace(rows[3].Body, []byte("success"), []byte("failure"), 1), true)
	f.Add(uint8(0), []byte(`{}`), true)
	f.Add(uint8(5), []byte{}, false)
	f.Fuzz(func(t *testing.T, at uint8, body []byte, rehash bool) {
		m, s := chainOf(t, 6, 3)
		seq := int64(at%6) + 1
		orig := audittest.Rows(t, m)[seq-1].Body
		mut := audit.MemMutator{M: m}
		_ = mut.UpdateRecordBody(context.Background(), seq, body)
		if rehash {
			_ = mut.UpdateHash(context.Background(), seq, audit.HashBody(body))
		}
		rep, err := audit.Verify(context.Background(), m, s.Keyring())
		if err != nil {
			t.Fatal(err)
		}
		if changed := !bytes.Equal(body, orig); changed != (rep.Break != nil) {
			t.Fatalf("body changed %v, break %+v", changed, rep.Break)
		}
	})
}

// TestVerifyAllocations: Verify allocates a constant amount, not per record
// (the 5-second target for a million records depends on it).
func TestVerifyAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	m, s := chainOf(t, 3000, 1000)
	k := s.Keyring()
	n := testing.AllocsPerRun(3, func() { _, _ = audit.Verify(context.Background(), m, k) })
	if n > 100 {
		t.Fatalf("%v allocations to verify 3000 records, want a constant under 100", n)
	}
}
