package audit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Prunes. Audit records are removed only at the end of their retention, and
// only by a prune record: an audit.pruned record naming the range removed
// (from_seq, to_seq), the hash of the last record removed and the retention
// rule, appended and signed in the transaction that removes the records.
// The range always ends at a signed checkpoint, which stays in the database,
// so the records that remain still link to a signed hash. Verify accepts a
// missing beginning only when signed prune records cover it, each within its
// retention rule (the checkpoint of its last record signed before the prune
// time minus the retention). A database whose oldest records were simply
// deleted fails with PrunedWithoutRecord.

// ActionAuditPruned is the action of a prune record.
const ActionAuditPruned Action = "audit.pruned"

// Prune is one prune record as Verify reads it.
type Prune struct {
	// Seq is the prune record's own seq.
	Seq int64 `json:"seq"`
	// Time is when the records were removed.
	Time time.Time `json:"time"`
	// FromSeq and ToSeq are the records removed, inclusive.
	FromSeq int64 `json:"from_seq"`
	ToSeq   int64 `json:"to_seq"`
	// Hash is the hash of record ToSeq.
	Hash []byte `json:"-"`
	// HashHex is Hash in hex, for JSON.
	HashHex string `json:"hash"`
	// RetentionMonths is the audit retention rule applied.
	RetentionMonths int `json:"retention_months"`
}

const pruneHashPrefix = "sha256:"

// ErrPruneTooYoung: a prune asked to remove records younger than the audit
// retention allows; nothing was removed.
var ErrPruneTooYoung = errors.New("audit: records younger than the audit retention cannot be removed")

// ErrPruneStale: the chain changed between planning and pruning (the record
// the plan ends at no longer has the planned hash); nothing was removed.
var ErrPruneStale = errors.New("audit: the audit chain changed since the prune was planned; plan again")

// PruneTx is the transaction a prune runs in: a store's transaction.
type PruneTx interface {
	Tx
	// RecordHash returns the stored hash of record seq, false when it is
	// not stored.
	RecordHash(ctx context.Context, seq int64) ([]byte, bool, error)
	// DeletePruned records p in the store's prune table (which the
	// database's append-only guard consults) and deletes records
	// p.FromSeq to p.ToSeq; it returns how many it deleted.
	DeletePruned(ctx context.Context, p Prune) (int64, error)
}

// PrunePlan is what a prune would remove.
type PrunePlan struct {
	// FromSeq and ToSeq are the records to remove; ToSeq is 0 when nothing
	// may be removed.
	FromSeq int64 `json:"from_seq"`
	ToSeq   int64 `json:"to_seq"`
	// Hash is the hash of record ToSeq, signed by the checkpoint at ToSeq.
	Hash []byte `json:"-"`
	// CheckpointTime is when that checkpoint was signed: every record
	// removed is older.
	CheckpointTime time.Time `json:"checkpoint_time,omitzero"`
	// Before is the date asked for; Cutoff the retention's limit (Before is
	// never after it).
	Before time.Time `json:"before"`
	Cutoff time.Time `json:"cutoff"`
	// RetentionMonths is the retention rule.
	RetentionMonths int `json:"retention_months"`
}

// Records is how many records the plan removes.
func (p PrunePlan) Records() int64 {
	if p.ToSeq == 0 {
		return 0
	}
	return p.ToSeq - p.FromSeq + 1
}

// PlanPrune finds what may be removed of the records older than before,
// under a retention of months (0: DefaultRetentionMonths; below
// MinRetentionMonths is refused): the records from the first stored one to
// the last valid checkpoint signed before before. It fails with
// ErrPruneTooYoung when before is after now minus the retention.
func PlanPrune(ctx context.Context, r Reader, v Verifier, before, now time.Time, months int) (PrunePlan, error) {
	if months == 0 {
		months = DefaultRetentionMonths
	}
	cutoff, err := RetentionCutoff(now, months)
	if err != nil {
		return PrunePlan{}, err
	}
	plan := PrunePlan{Before: before.UTC(), Cutoff: cutoff, RetentionMonths: months}
	if before.After(cutoff) {
		return plan, fmt.Errorf("%w: the audit retention is %d months, so only records before %s may be removed (asked: before %s)",
			ErrPruneTooYoung, months, cutoff.Format(time.DateOnly), before.UTC().Format(time.DateOnly))
	}
	var best Checkpoint
	var msg []byte
	for cp, err := range r.Checkpoints(ctx) {
		if err != nil {
			return plan, fmt.Errorf("audit: reading checkpoints: %w", err)
		}
		if !cp.Time.Before(before) || cp.Seq <= best.Seq {
			continue
		}
		msg = appendCheckpointMessage(msg[:0], &cp)
		if v.VerifySignature(cp.KeyID, msg, cp.Signature) {
			best = cp
			best.Hash = bytes.Clone(cp.Hash)
		}
	}
	for rec, err := range r.Records(ctx, 1) {
		if err != nil {
			return plan, fmt.Errorf("audit: reading records: %w", err)
		}
		plan.FromSeq = rec.Seq
		break
	}
	if best.Seq == 0 || plan.FromSeq == 0 || best.Seq < plan.FromSeq {
		return plan, nil
	}
	plan.ToSeq, plan.Hash, plan.CheckpointTime = best.Seq, best.Hash, best.Time
	return plan, nil
}

// Prune removes the records of plan in tx: it checks the chain still has the
// planned hash at plan.ToSeq, appends the prune record (actor acting),
// records the prune in the store and deletes the records, and signs a
// checkpoint at the prune record, all in the caller's transaction. It
// returns the prune record and how many records it deleted.
func (c *Chain) Prune(ctx context.Context, tx PruneTx, plan PrunePlan, actor string) (Record, int64, error) {
	if plan.ToSeq == 0 {
		return Record{}, 0, nil
	}
	// The rule Verify applies: the last record removed was signed before
	// the prune's own time minus the retention.
	cutoff, err := RetentionCutoff(c.now(), plan.RetentionMonths)
	if err != nil {
		return Record{}, 0, err
	}
	if !plan.CheckpointTime.Before(cutoff) || plan.Before.After(cutoff) {
		return Record{}, 0, fmt.Errorf("%w: the audit retention is %d months, so only records before %s may be removed",
			ErrPruneTooYoung, plan.RetentionMonths, cutoff.Format(time.DateOnly))
	}
	if _, _, err := tx.Head(ctx); err != nil {
		return Record{}, 0, fmt.Errorf("audit: locking the chain head: %w", err)
	}
	h, ok, err := tx.RecordHash(ctx, plan.ToSeq)
	if err != nil {
		return Record{}, 0, fmt.Errorf("audit: reading record %d: %w", plan.ToSeq, err)
	}
	if !ok || !bytes.Equal(h, plan.Hash) {
		return Record{}, 0, ErrPruneStale
	}
	rec, err := c.Append(ctx, tx, Record{
		Actor: actor, Action: ActionAuditPruned, Outcome: OutcomeSuccess,
		Counts: map[string]int64{
			"from_seq": plan.FromSeq, "to_seq": plan.ToSeq, "records": plan.Records(),
			"retention_months": int64(plan.RetentionMonths), "before_unix": plan.Before.Unix(),
		},
		ObjectIDs: []string{pruneHashPrefix + hex.EncodeToString(plan.Hash)},
		Reason:    "audit retention of " + itoa(int64(plan.RetentionMonths)) + " months applied",
	})
	if err != nil {
		return Record{}, 0, err
	}
	n, err := tx.DeletePruned(ctx, Prune{Seq: rec.Seq, Time: rec.Time, FromSeq: plan.FromSeq, ToSeq: plan.ToSeq,
		Hash: plan.Hash, RetentionMonths: plan.RetentionMonths})
	if err != nil {
		return Record{}, 0, fmt.Errorf("audit: removing records %d to %d: %w", plan.FromSeq, plan.ToSeq, err)
	}
	if _, _, err := c.Checkpoint(ctx, tx); err != nil {
		return Record{}, 0, err
	}
	return rec, n, nil
}

// parsePrune reads a prune record's body; ok is false when it is not a
// well-formed one.
func parsePrune(body []byte) (Prune, bool) {
	rec, err := DecodeBody(body)
	if err != nil || rec.Action != ActionAuditPruned || len(rec.ObjectIDs) != 1 {
		return Prune{}, false
	}
	hx, ok := strings.CutPrefix(rec.ObjectIDs[0], pruneHashPrefix)
	h, err := hex.DecodeString(hx)
	if !ok || err != nil || len(h) != 32 {
		return Prune{}, false
	}
	p := Prune{Seq: rec.Seq, Time: rec.Time, FromSeq: rec.Counts["from_seq"], ToSeq: rec.Counts["to_seq"],
		Hash: h, HashHex: hx, RetentionMonths: int(rec.Counts["retention_months"])}
	if p.FromSeq < 1 || p.ToSeq < p.FromSeq || p.ToSeq >= p.Seq || p.RetentionMonths < MinRetentionMonths ||
		rec.Counts["records"] != p.ToSeq-p.FromSeq+1 {
		return Prune{}, false
	}
	return p, true
}

// acceptedPrunes keeps the prune records a valid checkpoint signs.
func acceptedPrunes(ps []Prune, lastCheckpoint int64) []Prune {
	var out []Prune
	for _, p := range ps {
		if p.Seq <= lastCheckpoint {
			out = append(out, p)
		}
	}
	return out
}

// pruneAnchor is a missing beginning: records 1 to to are gone, and a valid
// checkpoint signed at signedAt holds hash for record to.
type pruneAnchor struct {
	to       int64
	hash     []byte
	signedAt time.Time
}

// check returns the problem when the accepted prunes do not account for the
// missing beginning, nil when they do.
func (a *pruneAnchor) check(accepted []Prune) *Break {
	missing := func(from, to int64, why string) *Break {
		return &Break{Seq: from, Kind: PrunedWithoutRecord, Detail: "records " + span(from, to) + " are missing: " + why}
	}
	i := slices.IndexFunc(accepted, func(p Prune) bool { return p.ToSeq == a.to && bytes.Equal(p.Hash, a.hash) })
	if i < 0 {
		return missing(1, a.to, "no signed prune record removed them (records are removed only by `audit prune`, which records the removal)")
	}
	p := accepted[i]
	cutoff, err := RetentionCutoff(p.Time, p.RetentionMonths)
	if err != nil || !a.signedAt.Before(cutoff) {
		return missing(p.FromSeq, a.to, "the prune record "+itoa(p.Seq)+" removed records signed on "+a.signedAt.Format(time.DateOnly)+
			", younger than its retention of "+itoa(int64(p.RetentionMonths))+" months")
	}
	byTo := slices.Clone(accepted)
	slices.SortFunc(byTo, func(x, y Prune) int { return cmp.Compare(x.ToSeq, y.ToSeq) })
	need := int64(1)
	for _, q := range byTo {
		if q.ToSeq > a.to {
			break
		}
		if q.FromSeq > need {
			return missing(need, q.FromSeq-1, "no signed prune record covers them")
		}
		need = max(need, q.ToSeq+1)
	}
	if need <= a.to {
		return missing(need, a.to, "no signed prune record covers them")
	}
	return nil
}

// compareWitness checks the database's checkpoints against the witness and
// fills the witness report; rep must hold the chain's figures already.
func compareWitness(ctx context.Context, r Reader, v Verifier, log *WitnessLog, rep *Report) (*WitnessReport, []Break, error) {
	wr := &WitnessReport{Checkpoints: len(log.Checkpoints), TornTail: log.TornTail}
	var out []Break
	for _, c := range log.Conflicts {
		out = append(out, Break{Seq: c.Size, Kind: Rewritten, Detail: "the witness holds two different checkpoints of " + itoa(c.Size) +
			" records: the chain was rewritten and signed again after the first was witnessed"})
	}
	if len(log.Checkpoints) == 0 {
		wr.Unwitnessed = rep.LastSeq
		return wr, out, nil
	}
	last := log.Checkpoints[len(log.Checkpoints)-1]
	wr.Size, wr.At = last.Size, last.Time
	wr.Lag = max(0, rep.LastCheckpoint-last.Size)
	wr.Unwitnessed = max(0, rep.LastSeq-last.Size)
	if last.Size > rep.LastSeq {
		out = append(out, Break{Seq: rep.LastSeq + 1, Kind: Truncated, Detail: "the witness holds a checkpoint of " + itoa(last.Size) +
			" records signed on " + last.Time.Format(time.RFC3339) + "; the database has records only up to " + itoa(rep.LastSeq) +
			": records " + span(rep.LastSeq+1, last.Size) + " were removed (or the database was replaced by an older copy)"})
	}
	// Every witnessed checkpoint must still be in the database, signed and
	// with the same hash.
	wi := 0
	var msg []byte
	var missing *Break
	miss := func(w WitnessedCheckpoint, what string) {
		if missing == nil {
			missing = &Break{Seq: w.Size, Kind: MissingCheckpoint, Detail: "the checkpoint of record " + itoa(w.Size) +
				" witnessed on " + w.Time.Format(time.RFC3339) + " " + what}
		}
	}
	found := false
	for cp, err := range r.Checkpoints(ctx) {
		if err != nil {
			return nil, nil, fmt.Errorf("audit: reading checkpoints: %w", err)
		}
		for wi < len(log.Checkpoints) && log.Checkpoints[wi].Size < cp.Seq {
			if !found {
				miss(log.Checkpoints[wi], "is not in the database: it was deleted")
			}
			wi, found = wi+1, false
		}
		if wi < len(log.Checkpoints) && log.Checkpoints[wi].Size == cp.Seq {
			msg = appendCheckpointMessage(msg[:0], &cp)
			if log.Checkpoints[wi].sameHash(cp.Hash) && v.VerifySignature(cp.KeyID, msg, cp.Signature) {
				found = true
			}
		}
	}
	for ; wi < len(log.Checkpoints); wi++ {
		if !found {
			miss(log.Checkpoints[wi], "is not in the database: it was deleted")
		}
		found = false
	}
	if missing != nil {
		out = append(out, *missing)
	}
	return wr, out, nil
}
