package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"time"
)

// Verifier checks checkpoint signatures. Keyring implements it.
type Verifier interface {
	// VerifySignature reports whether sig is a valid signature of msg by the
	// key named keyID.
	VerifySignature(keyID string, msg, sig []byte) bool
}

// PublicKey is one checkpoint-signing public key and its id.
type PublicKey struct {
	KeyID string
	Key   ed25519.PublicKey
}

// Keyring is the set of public keys checkpoints may be signed with (the
// current key and the keys it was rotated from). It implements Verifier.
type Keyring []PublicKey

// VerifySignature implements Verifier with Ed25519 (RFC 8032).
func (k Keyring) VerifySignature(keyID string, msg, sig []byte) bool {
	for _, pk := range k {
		if pk.KeyID == keyID && len(pk.Key) == ed25519.PublicKeySize {
			return ed25519.Verify(pk.Key, msg, sig)
		}
	}
	return false
}

// BreakKind says how the chain was broken.
type BreakKind string

// The kinds of broken link.
const (
	// Edited: a record's body, hash or stored columns were changed, or the
	// chain was rewritten after a checkpoint signed it.
	Edited BreakKind = "edited"
	// Deleted: a record is missing from the middle of the chain.
	Deleted BreakKind = "deleted"
	// Inserted: a record that was never appended sits in the chain.
	Inserted BreakKind = "inserted"
	// Reordered: the records are all there but in the wrong order.
	Reordered BreakKind = "reordered"
	// Truncated: records a checkpoint signed are missing at the end.
	Truncated BreakKind = "truncated"
	// BadSignature: a checkpoint's signature does not verify (forged, altered
	// or signed by an unknown key).
	BadSignature BreakKind = "bad_signature"
	// Rewritten: the record at a size the witness holds a checkpoint of has
	// a different hash: the records up to it were changed after they were
	// witnessed (found only with a witness).
	Rewritten BreakKind = "rewritten"
	// MissingCheckpoint: a checkpoint the witness holds is not in the
	// database (found only with a witness).
	MissingCheckpoint BreakKind = "missing_checkpoint"
	// PrunedWithoutRecord: the oldest records are missing and no signed
	// prune record removed them within the audit retention rule.
	PrunedWithoutRecord BreakKind = "pruned_without_record"
)

// Break is the first broken link Verify found. It is an error matching
// ErrBroken. Its text holds sequence numbers and kinds only.
type Break struct {
	// Seq is the sequence number where the chain first breaks.
	Seq int64 `json:"seq"`
	// Kind is how it breaks.
	Kind BreakKind `json:"kind"`
	// Detail says what was seen, in a sentence.
	Detail string `json:"detail"`
}

// Error implements error.
func (b *Break) Error() string {
	return "audit: chain broken at record " + strconv.FormatInt(b.Seq, 10) + " (" + string(b.Kind) + "): " + b.Detail
}

// Unwrap returns ErrBroken.
func (b *Break) Unwrap() error { return ErrBroken }

// Report is the result of Verify.
type Report struct {
	// Records is the number of records read.
	Records int64 `json:"records"`
	// FirstSeq is the Seq of the first record (0 for an empty chain). It is
	// above 1 only when the records before it were removed at the end of
	// their retention, and a valid checkpoint at FirstSeq-1 signs the hash
	// the first record links to; any other missing beginning is a break.
	FirstSeq int64 `json:"first_seq"`
	// LastSeq is the Seq of the last record read (0 for an empty chain).
	LastSeq int64 `json:"last_seq"`
	// LastHash is the recomputed hash of that record.
	LastHash []byte `json:"last_hash,omitempty"`
	// Checkpoints is the number of checkpoints read.
	Checkpoints int64 `json:"checkpoints"`
	// LastCheckpoint is the Seq of the last checkpoint whose signature and
	// hash both verified before the first broken link (0 when none did).
	LastCheckpoint int64 `json:"last_checkpoint"`
	// Unsigned is the number of records after LastCheckpoint: they are
	// protected by the hash chain only, so appending or cutting off records
	// there is visible only as a different count. It is 0 when Break is set.
	Unsigned int64 `json:"unsigned"`
	// UnsignedSince is the time of the first unsigned record (zero when
	// Unsigned is 0): the age of the unsigned tail.
	UnsignedSince time.Time `json:"unsigned_since,omitzero"`
	// Prunes are the signed prune records that removed the records before
	// FirstSeq (and earlier prunes), in chain order.
	Prunes []Prune `json:"prunes,omitempty"`
	// Witness is what the comparison with a witness found; nil when Verify
	// had no witness.
	Witness *WitnessReport `json:"witness,omitempty"`
	// Head is the chain head the store keeps apart from the records (0 when
	// the store keeps none or the chain is empty).
	Head int64 `json:"head,omitempty"`
	// Break is the first broken link, nil when the chain is whole: the
	// first problem of the hash chain itself, or else the first of Problems.
	Break *Break `json:"break,omitempty"`
	// Problems are every distinct problem found, by ascending Seq: the
	// chain's first broken link and what the audit head, the prune records
	// and the witness reveal. Each says its kind and the first record
	// affected.
	Problems []Break `json:"problems,omitempty"`
}

// WitnessReport is the comparison of the database with a witness.
type WitnessReport struct {
	// Checkpoints is the number of distinct checkpoints the witness holds.
	Checkpoints int `json:"checkpoints"`
	// Size is the record count of the latest witnessed checkpoint (0: none).
	Size int64 `json:"size"`
	// At is when that checkpoint was signed.
	At time.Time `json:"at,omitzero"`
	// Lag is how many signed records the witness has not seen yet: the last
	// valid checkpoint in the database minus Size (a checkpoint written but
	// not yet witnessed, e.g. while the witness was unreachable).
	Lag int64 `json:"lag"`
	// Unwitnessed is the number of records after Size: protected by the
	// hash chain and the database's own checkpoints only.
	Unwitnessed int64 `json:"unwitnessed"`
	// TornTail is set when the witness file ends in an incomplete note.
	TornTail bool `json:"torn_tail,omitempty"`
}

// VerifyOptions add what the database alone cannot prove.
type VerifyOptions struct {
	// Witness is the witness's log (ReadWitnessLog); nil verifies the
	// database against itself only (see NotDetectableWithoutWitness).
	Witness *WitnessLog
}

// NotDetectableWithoutWitness lists, in words for an auditor, what someone
// able to write to the database (the triggers dropped) can do that no
// verification of the database alone can detect, because the checkpoints
// that would show it are in the same database. A witness detects each.
var NotDetectableWithoutWitness = []string{
	"deleting every checkpoint, then removing, editing or inserting records and re-hashing the chain after them",
	"rolling the database back to an earlier state: cutting records off at the end together with the checkpoints that signed them (or emptying both tables) and resetting audit_head",
	"replacing the whole database with an older copy or a different chain",
}

// OK reports whether the chain verified.
func (r *Report) OK() bool { return r.Break == nil }

// Err returns Break as an error, or nil when the chain verified.
func (r *Report) Err() error {
	if r.Break == nil {
		return nil
	}
	return r.Break
}

// finding is a candidate first break, some of whose kinds are settled only
// by what comes later in the chain.
type finding struct {
	seq    int64
	kind   BreakKind
	detail string
	// lookFor, when non-zero, is a body seq whose later appearance changes
	// the kind to ifFound (with seq and detail replaced).
	lookFor   int64
	ifFound   BreakKind
	foundSeq  int64
	foundText string
	// ifLast, when set, is the kind if seq turns out to be the last record.
	ifLast     BreakKind
	ifLastText string
}

// Verify walks the whole chain and every checkpoint once. It recomputes each
// record's hash from its body, checks that the body's seq and prev and the
// stored columns agree with the row and with the record before it, that the
// sequence numbers run from 1 without gaps, that every checkpoint's
// signature verifies and that the record at its seq has the hash it signed,
// and that the record of the last checkpoint exists (truncation).
//
// It returns an error only when the chain cannot be read; a broken chain is
// reported in Report.Break (see Report.Err). Verify keeps O(1) memory.
func Verify(ctx context.Context, r Reader, v Verifier) (Report, error) {
	return VerifyWith(ctx, r, v, VerifyOptions{})
}

// VerifyWith is Verify with a witness: besides the chain itself it checks
// that the database holds every record and every checkpoint the witness
// holds, with the same hash at every witnessed size. Without a witness the
// report's problems are those the database alone shows (see
// NotDetectableWithoutWitness for what it cannot show).
//
// It also compares the store's head (HeadReader) with the last record, and
// accepts a missing beginning only under signed prune records (see Prune).
func VerifyWith(ctx context.Context, r Reader, v Verifier, o VerifyOptions) (Report, error) {
	var (
		extra     []Break // problems found besides the chain's first break
		headSeq   int64
		headHash  []byte
		hasHead   bool
		wit       []WitnessedCheckpoint
		wi        int
		pruneNeed *pruneAnchor
		prunes    []Prune
		tailStart time.Time
	)
	note := func(b Break) { extra = append(extra, b) }
	if hr, ok := r.(HeadReader); ok {
		var err error
		if headSeq, headHash, err = hr.StoredHead(ctx); err != nil {
			return Report{}, fmt.Errorf("audit: reading the chain head: %w", err)
		}
		hasHead = true
	}
	if o.Witness != nil {
		wit = o.Witness.Checkpoints
	}
	var (
		rep      Report
		first    *finding
		expect   = int64(1)
		prev     []byte // recomputed hash of the previous record
		prevBuf  [sha256.Size]byte
		hbuf     [sha256.Size]byte
		hexBuf   [2 * sha256.Size]byte
		view     bodyView
		h        = sha256.New()
		msgBuf   []byte
		goodCPAt = int64(-1) // seq of a checkpoint that verified at the previous row
	)
	flag := func(f finding) {
		if first == nil {
			first = &f
		}
	}
	nextCP, stopCP := iter.Pull2(r.Checkpoints(ctx))
	defer stopCP()
	cp, cpErr, haveCP := nextCP()
	lastCPSeq := int64(0)
	checkCP := func(rowSeq int64, rowHash []byte) error {
		for haveCP && (cpErr != nil || cp.Seq <= rowSeq) {
			if cpErr != nil {
				return fmt.Errorf("audit: reading checkpoints: %w", cpErr)
			}
			rep.Checkpoints++
			switch {
			case cp.Seq < 1 || cp.Seq < lastCPSeq:
				flag(finding{seq: max(cp.Seq, 0), kind: BadSignature, detail: "a checkpoint is out of order or names no record"})
			case cp.Seq < rowSeq:
				flag(finding{seq: cp.Seq, kind: Deleted, detail: "the record checkpoint " + itoa(cp.Seq) + " signed is missing"})
			default: // cp.Seq == rowSeq
				msgBuf = appendCheckpointMessage(msgBuf[:0], &cp)
				switch {
				case !v.VerifySignature(cp.KeyID, msgBuf, cp.Signature):
					flag(finding{seq: cp.Seq, kind: BadSignature, detail: "checkpoint " + itoa(cp.Seq) + " has a signature that does not verify with the key it names (forged, altered, or signed by an unknown key)"})
				case !bytes.Equal(cp.Hash, rowHash):
					flag(finding{seq: cp.Seq, kind: Edited, detail: "records after checkpoint " + itoa(rep.LastCheckpoint) + " up to " + itoa(cp.Seq) + " were rewritten: record " + itoa(cp.Seq) + " no longer has the hash its signed checkpoint holds"})
				default:
					if first == nil {
						rep.LastCheckpoint = cp.Seq
					}
					goodCPAt = cp.Seq
				}
			}
			lastCPSeq = max(lastCPSeq, cp.Seq)
			cp, cpErr, haveCP = nextCP()
		}
		return nil
	}

	for row, err := range r.Records(ctx, 1) {
		if err != nil {
			return rep, fmt.Errorf("audit: reading records: %w", err)
		}
		rep.Records++
		s := row.Seq
		if rep.Records == 1 {
			rep.FirstSeq = s
			if s > 1 {
				// A pruned beginning is accepted only at a signed checkpoint.
				anchor, at, err := prunedAnchor(&cp, &cpErr, &haveCP, nextCP, v, s, row.Body, &msgBuf, &rep)
				if err != nil {
					return rep, err
				}
				if anchor != nil {
					expect, prev = s, append(prevBuf[:0], anchor...)
					rep.LastCheckpoint, goodCPAt, lastCPSeq = s-1, s-1, s-1
					pruneNeed = &pruneAnchor{to: s - 1, hash: bytes.Clone(anchor), signedAt: at}
				}
			}
		}
		switch {
		case s < expect:
			flag(finding{seq: s, kind: Inserted, detail: "two records have sequence number " + itoa(s) + ", or they are out of order"})
		case s > expect:
			flag(finding{seq: expect, kind: Deleted, detail: "records " + span(expect, s-1) + " are missing"})
		}
		hsum := hashBody(h, row.Body, hbuf[:0])
		hashOK := bytes.Equal(hsum, row.Hash)
		if !hashOK {
			flag(finding{seq: s, kind: Edited, detail: "record " + itoa(s) + " does not match its stored hash (its body or its hash was changed)"})
		}
		if err := parseBody(row.Body, &view); err != nil {
			flag(finding{seq: s, kind: Edited, detail: "record " + itoa(s) + " is not a canonical record body"})
		} else {
			if goodCPAt == s-1 || rep.Records == 1 {
				tailStart = view.time // the first record after a checkpoint
			}
			if rawEqual(view.str[kAction], string(ActionAuditPruned)) && hashOK {
				if p, ok := parsePrune(row.Body); ok {
					prunes = append(prunes, p)
				}
			}
			b := view.seq
			if first != nil && first.lookFor != 0 && first.foundSeq == 0 && b == first.lookFor && hashOK {
				first.foundSeq = s
			}
			prevHex := hex.AppendEncode(hexBuf[:0], prev)
			switch {
			case b > s:
				flag(finding{seq: s, kind: Deleted, detail: "record " + itoa(s) + " is missing: the record stored under " + itoa(s) + " was appended as " + itoa(b),
					lookFor: s, ifFound: Reordered, foundText: "records were reordered: the record stored under " + itoa(s) + " was appended as " + itoa(b)})
			case b < s:
				if b >= 1 && b < expect {
					flag(finding{seq: b, kind: Inserted, detail: "a record was inserted: the record appended as " + itoa(b) + " is stored under " + itoa(s) + ", after another record " + itoa(b)})
				} else {
					flag(finding{seq: s, kind: Reordered, detail: "records were reordered: the record stored under " + itoa(s) + " was appended as " + itoa(b)})
				}
			case !bytes.Equal(view.str[kPrev], prevHex):
				f := finding{lookFor: s, ifFound: Inserted, foundText: "a record was inserted at " + itoa(s) + ": the record appended as " + itoa(s) + " comes later"}
				if goodCPAt == s-1 || s == 1 {
					f.seq, f.kind, f.detail = s, Edited, "record "+itoa(s)+" does not link to the record before it: it was rewritten"
					f.ifLast, f.ifLastText = Inserted, "record "+itoa(s)+", the last, does not link to the chain: it was added by someone else"
				} else {
					f.seq, f.kind, f.detail = s-1, Edited, "record "+itoa(s)+" does not link to record "+itoa(s-1)+": record "+itoa(s-1)+" (or "+itoa(s)+") was rewritten and rehashed"
				}
				flag(f)
			default:
				if col := columnMismatch(row, &view, prev); col != "" {
					flag(finding{seq: s, kind: Edited, detail: "the stored " + col + " of record " + itoa(s) + " differs from its body"})
				}
			}
		}
		for wi < len(wit) && wit[wi].Size <= s {
			if w := wit[wi]; w.Size == s && !w.sameHash(hsum) {
				note(Break{Seq: s, Kind: Rewritten, Detail: "the witness holds a checkpoint of " + itoa(s) + " records signed on " + w.Time.Format(time.RFC3339) +
					"; the database's record " + itoa(s) + " has a different hash: records up to " + itoa(s) + " were changed, removed or inserted after they were witnessed"})
			}
			wi++
		}
		if hasHead && headSeq == s && !bytes.Equal(headHash, hsum) {
			note(Break{Seq: s, Kind: Edited, Detail: "the store's chain head (audit_head) at record " + itoa(s) + " holds a different hash than that record: the records were rewritten"})
		}
		if err := checkCP(s, hsum); err != nil {
			return rep, err
		}
		prev = append(prevBuf[:0], hsum...)
		expect = max(expect, s+1)
		rep.LastSeq = s
	}
	// Checkpoints past the last record: the records they signed are gone.
	for ; haveCP; cp, cpErr, haveCP = nextCP() {
		if cpErr != nil {
			return rep, fmt.Errorf("audit: reading checkpoints: %w", cpErr)
		}
		rep.Checkpoints++
		lastCPSeq = max(lastCPSeq, cp.Seq)
	}
	if lastCPSeq > rep.LastSeq {
		flag(finding{seq: rep.LastSeq + 1, kind: Truncated, detail: "records " + span(rep.LastSeq+1, lastCPSeq) + " are missing at the end: checkpoint " + itoa(lastCPSeq) + " signed them"})
	}
	if rep.LastSeq > 0 {
		rep.LastHash = bytes.Clone(prev)
	}
	if first == nil {
		rep.Unsigned = rep.LastSeq - rep.LastCheckpoint
		if rep.Unsigned > 0 {
			rep.UnsignedSince = tailStart
		}
	}
	if hasHead {
		rep.Head = headSeq
		if headSeq > rep.LastSeq {
			note(Break{Seq: rep.LastSeq + 1, Kind: Truncated, Detail: "the store's chain head (audit_head) says " + itoa(headSeq) +
				" records were appended; records " + span(rep.LastSeq+1, headSeq) + " are missing at the end"})
		}
	}
	rep.Prunes = acceptedPrunes(prunes, rep.LastCheckpoint)
	if pruneNeed != nil {
		if b := pruneNeed.check(rep.Prunes); b != nil {
			note(*b)
		}
	}
	if o.Witness != nil {
		wr, problems, err := compareWitness(ctx, r, v, o.Witness, &rep)
		if err != nil {
			return rep, err
		}
		rep.Witness = wr
		extra = append(extra, problems...)
	}
	if first != nil {
		b := &Break{Seq: first.seq, Kind: first.kind, Detail: first.detail}
		if first.ifLast != "" && first.seq == rep.LastSeq && first.foundSeq == 0 {
			b.Kind, b.Detail = first.ifLast, first.ifLastText
		}
		if first.foundSeq != 0 {
			b.Kind, b.Detail = first.ifFound, first.foundText
			if first.ifFound == Inserted {
				b.Seq = first.lookFor
			}
		}
		rep.Break = b
		rep.Problems = append(rep.Problems, *b)
	}
	for _, b := range extra {
		if !slices.ContainsFunc(rep.Problems, func(p Break) bool { return p.Seq == b.Seq && p.Kind == b.Kind }) {
			rep.Problems = append(rep.Problems, b)
		}
	}
	slices.SortStableFunc(rep.Problems, func(a, b Break) int { return cmp.Compare(a.Seq, b.Seq) })
	if rep.Break == nil && len(rep.Problems) > 0 {
		b := rep.Problems[0]
		rep.Break = &b
	}
	if rep.Break != nil {
		rep.Unsigned, rep.UnsignedSince = 0, time.Time{}
	}
	return rep, nil
}

// prunedAnchor handles a chain whose first record is first > 1: it skips the
// checkpoints of removed records and returns the hash signed by a valid
// checkpoint at first-1 if that is the hash the first record links to, or
// nil (Verify then reports the missing records as deleted).
func prunedAnchor(cp *Checkpoint, cpErr *error, haveCP *bool, next func() (Checkpoint, error, bool),
	v Verifier, first int64, body []byte, msgBuf *[]byte, rep *Report) ([]byte, time.Time, error) {
	var anchor []byte
	var at time.Time
	for *haveCP && (*cpErr != nil || cp.Seq < first) {
		if *cpErr != nil {
			return nil, at, fmt.Errorf("audit: reading checkpoints: %w", *cpErr)
		}
		rep.Checkpoints++
		if cp.Seq == first-1 {
			*msgBuf = appendCheckpointMessage((*msgBuf)[:0], cp)
			if v.VerifySignature(cp.KeyID, *msgBuf, cp.Signature) {
				anchor, at = bytes.Clone(cp.Hash), cp.Time
			}
		}
		*cp, *cpErr, *haveCP = next()
	}
	var view bodyView
	if anchor == nil || parseBody(body, &view) != nil || !bytes.Equal(view.str[kPrev], hex.AppendEncode(nil, anchor)) {
		return nil, at, nil
	}
	return anchor, at, nil
}

// columnMismatch names the first stored column of row that disagrees with
// its body, or returns "".
func columnMismatch(row StoredRecord, v *bodyView, prev []byte) string {
	switch {
	case !bytes.Equal(row.PrevHash, prev):
		return "previous hash"
	case !row.Time.Equal(v.time):
		return "time"
	case !rawEqual(v.str[kAction], row.Action):
		return "action"
	case !rawEqual(v.str[kRequestID], row.RequestID):
		return "request id"
	case !rawEqual(v.str[kSubjectRef], row.SubjectRef):
		return "subject reference"
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func span(a, b int64) string {
	if a == b {
		return itoa(a)
	}
	return itoa(a) + " to " + itoa(b)
}
