package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sort"
	"sync"
	"time"
	"unicode/utf8"
)

// Signer signs checkpoint messages. The vault's audit signer implements it
// with an Ed25519 key from a Tink keyset; Sign must return a plain 64-byte
// RFC 8032 signature (no Tink output prefix) so that auditors can check it
// with any Ed25519 implementation. KeyID must be 1 to 128 of [A-Za-z0-9_.:-].
type Signer interface {
	Sign(data []byte) ([]byte, error)
	KeyID() string
}

// DefaultCheckpointEvery is how many records a Chain appends between
// automatic checkpoints unless Options say otherwise.
const DefaultCheckpointEvery = 1000

// Limits on the size of one record.
const (
	MaxObjectIDs = 1000 // ObjectIDs per record: use Counts for bulk operations
	MaxCounts    = 64   // keys in Counts
)

// Options configure a Chain. The zero value is the default.
type Options struct {
	// CheckpointEvery is the number of records between automatic signed
	// checkpoints; 0 means DefaultCheckpointEvery.
	CheckpointEvery int
	// Checker vets every field before a record is written; nil means the
	// default NewStrictChecker (shape allow-list plus the pii engine).
	Checker Checker
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Chain appends records to the audit trail and writes signed checkpoints.
// It is safe for concurrent use; the chain head lock taken by Tx.Head
// serialises the appends themselves.
type Chain struct {
	signer  Signer
	every   int64
	checker Checker
	now     func() time.Time
	bufs    sync.Pool // *[]byte scratch for bodies and messages
}

// NewChain returns a Chain signing checkpoints with s. It fails with
// ErrNoSigner when s is nil or its key id is malformed, and with the pii
// engine's error if the default checker cannot be built.
func NewChain(s Signer, o Options) (*Chain, error) {
	if s == nil || !matchSet(s.KeyID(), 1, MaxIDLen, isIDByte) {
		return nil, ErrNoSigner
	}
	c := &Chain{signer: s, every: int64(o.CheckpointEvery), checker: o.Checker, now: o.Now}
	if c.every <= 0 {
		c.every = DefaultCheckpointEvery
	}
	if c.checker == nil {
		sc, err := NewStrictChecker()
		if err != nil {
			return nil, fmt.Errorf("audit: building the default personal-data checker: %w", err)
		}
		c.checker = sc
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Validate checks r as Append would, without writing: the required fields
// (Actor, a valid Action and Outcome), the sizes, and every field against
// the Chain's Checker. Seq, Time, PrevHash and Hash are ignored. The error
// is a *FieldError matching ErrPersonalData or ErrInvalidRecord.
func (c *Chain) Validate(r *Record) error {
	if !r.Action.Valid() {
		return invalid("action", "is not one of the audit.Action constants")
	}
	if !r.Outcome.Valid() {
		return invalid("outcome", "is not success, failure, partial or noop")
	}
	if r.Actor == "" {
		return invalid("actor", "is empty")
	}
	if len(r.ObjectIDs) > MaxObjectIDs {
		return invalid("object_ids", fmt.Sprintf("has more than %d ids (record a count instead)", MaxObjectIDs))
	}
	if len(r.Counts) > MaxCounts {
		return invalid("counts", fmt.Sprintf("has more than %d keys", MaxCounts))
	}
	for _, t := range []struct {
		name string
		t    time.Time
	}{{"request_date", r.RequestDate}, {"response_date", r.ResponseDate}} {
		if !t.t.IsZero() && (t.t.UTC().Year() < 1 || t.t.UTC().Year() > 9999) {
			return invalid(t.name, "is outside years 1 to 9999")
		}
	}
	check := func(f Field, v string) error {
		if v == "" {
			return nil
		}
		if !utf8.ValidString(v) {
			return invalid(string(f), "is not valid UTF-8")
		}
		return c.checker.CheckField(f, v)
	}
	for _, f := range []struct {
		f Field
		v string
	}{
		{FieldActor, r.Actor}, {FieldRequestID, r.RequestID}, {FieldSubjectRef, r.SubjectRef},
		{FieldReason, r.Reason}, {FieldRequestNature, r.RequestNature},
		{FieldRequestMethod, r.RequestMethod}, {FieldResponseNature, r.ResponseNature},
		{FieldDenialReason, r.DenialReason},
	} {
		if err := check(f.f, f.v); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(r.Counts))
	for k, n := range r.Counts {
		if n < 0 {
			return invalid("counts", "has a negative count")
		}
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the same key first every time
	for _, k := range keys {
		if k == "" {
			return invalid("counts", "has an empty key")
		}
		if err := check(FieldCountKey, k); err != nil {
			return err
		}
	}
	for i, id := range r.ObjectIDs {
		if id == "" {
			return &FieldError{Field: "object_ids", Index: i, Problem: "is empty", Err: ErrInvalidRecord}
		}
		if err := check(FieldObjectID, id); err != nil {
			if fe, ok := err.(*FieldError); ok {
				fe.Index = i
			}
			return err
		}
	}
	return nil
}

// Append validates r, locks the chain head through tx, and inserts r as the
// next record: it sets Seq (head + 1), Time (now, UTC, to the microsecond),
// PrevHash and Hash, and returns the record as written. Every
// CheckpointEvery-th record is followed by a signed checkpoint in the same
// transaction. Nothing is written when it returns an error; the caller's
// transaction decides whether the rest of its work commits.
//
// Append must run inside the transaction that makes the change r describes,
// so that both commit or neither does.
func (c *Chain) Append(ctx context.Context, tx Tx, r Record) (Record, error) {
	if err := c.Validate(&r); err != nil {
		return Record{}, err
	}
	seq, head, err := tx.Head(ctx)
	if err != nil {
		return Record{}, fmt.Errorf("audit: locking the chain head: %w", err)
	}
	if seq < 0 || (seq == 0) != (len(head) == 0) || (seq > 0 && len(head) != sha256.Size) {
		return Record{}, fmt.Errorf("audit: the store returned an inconsistent chain head (seq %d, %d-byte hash): run `intercom-privacy audit verify`", seq, len(head))
	}
	r.Seq = seq + 1
	r.Time = normTime(c.now())
	r.RequestDate = normTime(r.RequestDate)
	r.ResponseDate = normTime(r.ResponseDate)
	r.PrevHash = bytes.Clone(head)

	bp := c.buf()
	defer c.bufs.Put(bp)
	body := AppendBody((*bp)[:0], &r)
	*bp = body
	r.Hash = HashBody(body)
	if err := tx.InsertRecord(ctx, r.stored(bytes.Clone(body))); err != nil {
		return Record{}, fmt.Errorf("audit: inserting record %d: %w", r.Seq, err)
	}
	if r.Seq%c.every == 0 {
		if _, err := c.sign(ctx, tx, r.Seq, r.Hash); err != nil {
			return Record{}, err
		}
	}
	return r, nil
}

// Checkpoint signs the current head of the chain unless it is already
// signed, or the chain is empty; it reports whether it wrote one. Every run
// (a request, a retention run, a sync) calls it at its end.
func (c *Chain) Checkpoint(ctx context.Context, tx Tx) (Checkpoint, bool, error) {
	seq, head, err := tx.Head(ctx)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: locking the chain head: %w", err)
	}
	if seq == 0 {
		return Checkpoint{}, false, nil
	}
	last, ok, err := tx.LastCheckpoint(ctx)
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("audit: reading the last checkpoint: %w", err)
	}
	if ok && last.Seq == seq {
		return last, false, nil
	}
	cp, err := c.sign(ctx, tx, seq, head)
	return cp, err == nil, err
}

func (c *Chain) sign(ctx context.Context, tx Tx, seq int64, hash []byte) (Checkpoint, error) {
	cp := Checkpoint{Seq: seq, Hash: bytes.Clone(hash), Time: normTime(c.now()), KeyID: c.signer.KeyID()}
	bp := c.buf()
	defer c.bufs.Put(bp)
	msg := appendCheckpointMessage((*bp)[:0], &cp)
	*bp = msg
	sig, err := c.signer.Sign(msg)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("audit: signing checkpoint %d: %w", seq, err)
	}
	cp.Signature = sig
	if err := tx.InsertCheckpoint(ctx, cp); err != nil {
		return Checkpoint{}, fmt.Errorf("audit: inserting checkpoint %d: %w", seq, err)
	}
	return cp, nil
}

func (c *Chain) buf() *[]byte {
	if p, ok := c.bufs.Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 0, 512)
	return &b
}
