package audittest

import (
	"context"
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/audit"
)

// SQLMutator is a Mutator for stores that keep records in a table
//
//	audit_records (seq PRIMARY KEY, recorded_at /* Unix microseconds */, action,
//	               request_id, subject_ref, body, prev_hash, hash)
//
// as both backends of package store do. Exec runs one statement with $1-style
// placeholders (SQLite and PostgreSQL both accept them) and returns the rows
// affected; a store's raw exec hook fits.
//
// A store that protects the rows itself (triggers refusing UPDATE and DELETE)
// must have that protection lifted before the suite mutates them, as someone
// with the table owner's rights could: the tamper suite is about what
// verification detects once the rows have been changed anyway.
type SQLMutator struct {
	Exec func(ctx context.Context, query string, args ...any) (int64, error)
}

func (m SQLMutator) one(ctx context.Context, what string, q string, args ...any) error {
	n, err := m.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("audittest: %s: %w", what, err)
	}
	if n == 0 {
		return fmt.Errorf("audittest: %s: no such record", what)
	}
	return nil
}

// UpdateRecordBody implements Mutator.
func (m SQLMutator) UpdateRecordBody(ctx context.Context, seq int64, body []byte) error {
	return m.one(ctx, "update body", `UPDATE audit_records SET body = $1 WHERE seq = $2`, body, seq)
}

// UpdateHash implements Mutator.
func (m SQLMutator) UpdateHash(ctx context.Context, seq int64, hash []byte) error {
	return m.one(ctx, "update hash", `UPDATE audit_records SET hash = $1 WHERE seq = $2`, hash, seq)
}

// DeleteRecord implements Mutator.
func (m SQLMutator) DeleteRecord(ctx context.Context, seq int64) error {
	return m.one(ctx, "delete", `DELETE FROM audit_records WHERE seq = $1`, seq)
}

// InsertRecord implements Mutator.
func (m SQLMutator) InsertRecord(ctx context.Context, r audit.StoredRecord) error {
	prev := r.PrevHash
	if prev == nil {
		prev = []byte{}
	}
	return m.one(ctx, "insert", `INSERT INTO audit_records (seq, recorded_at, action, request_id, subject_ref, body, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.Seq, r.Time.UnixMicro(), r.Action, r.RequestID, r.SubjectRef, r.Body, prev, r.Hash)
}

// SwapSeq implements Mutator (through a free negative seq, so a primary key
// never sees a duplicate).
func (m SQLMutator) SwapSeq(ctx context.Context, a, b int64) error {
	if err := m.one(ctx, "swap", `UPDATE audit_records SET seq = -1 WHERE seq = $1`, a); err != nil {
		return err
	}
	if err := m.one(ctx, "swap", `UPDATE audit_records SET seq = $1 WHERE seq = $2`, a, b); err != nil {
		return err
	}
	return m.one(ctx, "swap", `UPDATE audit_records SET seq = $1 WHERE seq = -1`, b)
}

// TruncateAfter implements Mutator.
func (m SQLMutator) TruncateAfter(ctx context.Context, seq int64) error {
	if _, err := m.Exec(ctx, `DELETE FROM audit_records WHERE seq > $1`, seq); err != nil {
		return fmt.Errorf("audittest: truncate: %w", err)
	}
	return nil
}

// DeleteCheckpointsAfter implements Mutator.
func (m SQLMutator) DeleteCheckpointsAfter(ctx context.Context, seq int64) error {
	if _, err := m.Exec(ctx, `DELETE FROM audit_checkpoints WHERE seq > $1`, seq); err != nil {
		return fmt.Errorf("audittest: delete checkpoints: %w", err)
	}
	return nil
}

// SetHead implements HeadSetter on the one-row audit_head table.
func (m SQLMutator) SetHead(ctx context.Context, seq int64, hash []byte) error {
	var h any = hash
	if seq == 0 {
		h = nil
	}
	return m.one(ctx, "set head", `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, seq, h)
}
