package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// ---- object holds and erasure exceptions ----

const objectHoldCols = `id, object_type, object_id, basis, reason, rule, request_id, keep_until, created_at, released_at`

func scanObjectHold(r Rows) (store.ObjectHold, error) {
	var h store.ObjectHold
	err := r.Scan(&h.ID, &h.ObjectType, &h.ObjectID, &h.Basis, &h.Reason, &h.Rule, &h.RequestID,
		tc(&h.KeepUntil), tc(&h.CreatedAt), tc(&h.ReleasedAt))
	return h, err
}

// AddObjectHold implements store.Ops.
func (o *Ops) AddObjectHold(ctx context.Context, h store.ObjectHold) (store.ObjectHold, error) {
	switch h.ObjectType {
	case store.ObjectContact, store.ObjectConversation, store.ObjectTicket:
	default:
		return store.ObjectHold{}, fmt.Errorf("%w: an object hold's type is contact, conversation or ticket", store.ErrInvalid)
	}
	if h.ObjectID == "" || h.Basis == "" {
		return store.ObjectHold{}, fmt.Errorf("%w: an object hold names its object and its basis", store.ErrInvalid)
	}
	if h.ID == "" {
		h.ID = store.NewID("ohold_")
	}
	if h.CreatedAt.IsZero() {
		h.CreatedAt = o.now()
	}
	h.CreatedAt = h.CreatedAt.UTC().Truncate(time.Microsecond)
	h.KeepUntil = h.KeepUntil.UTC().Truncate(time.Microsecond)
	h.ReleasedAt = time.Time{}
	_, err := o.exec(ctx, `INSERT INTO object_holds (`+objectHoldCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)`, h.ID, h.ObjectType, h.ObjectID, h.Basis, h.Reason,
		h.Rule, h.RequestID, ts(h.KeepUntil), ts(h.CreatedAt))
	if err != nil {
		return store.ObjectHold{}, err
	}
	return h, nil
}

// ReleaseObjectHold implements store.Ops.
func (o *Ops) ReleaseObjectHold(ctx context.Context, id string, at time.Time) (bool, error) {
	if at.IsZero() {
		at = o.now()
	}
	n, err := o.exec(ctx, `UPDATE object_holds SET released_at = $2 WHERE id = $1 AND released_at IS NULL`, id, ts(at))
	return n > 0, err
}

// ActiveObjectHolds implements store.Ops.
func (o *Ops) ActiveObjectHolds(ctx context.Context, at time.Time, objectType string, objectIDs ...string) ([]store.ObjectHold, error) {
	if at.IsZero() {
		at = o.now()
	}
	q := `SELECT ` + objectHoldCols + ` FROM object_holds WHERE released_at IS NULL AND (keep_until IS NULL OR keep_until > $1)`
	args := []any{at.UnixMicro()}
	if objectType != "" {
		args = append(args, objectType)
		q += fmt.Sprintf(` AND object_type = $%d`, len(args))
	}
	if len(objectIDs) > 0 {
		q += ` AND object_id IN (` + placeholders(len(args)+1, len(objectIDs)) + `)`
		for _, id := range objectIDs {
			args = append(args, id)
		}
	}
	return queryList(ctx, o, q+` ORDER BY created_at, id`, args, scanObjectHold)
}

// ObjectHoldsByRequest implements store.Ops.
func (o *Ops) ObjectHoldsByRequest(ctx context.Context, requestID string) ([]store.ObjectHold, error) {
	return queryList(ctx, o, `SELECT `+objectHoldCols+` FROM object_holds WHERE request_id = $1 ORDER BY created_at, id`,
		[]any{requestID}, scanObjectHold)
}

// ---- retention of request records and of the suppression list ----

// PrunableRequests implements store.Ops.
func (o *Ops) PrunableRequests(ctx context.Context, before time.Time, limit int) ([]store.Request, error) {
	if limit <= 0 {
		limit = 1000
	}
	b := before.UnixMicro()
	return queryList(ctx, o, `SELECT `+requestCols+` FROM requests r
		WHERE r.state IN ('completed', 'denied', 'cancelled')
		AND COALESCE(r.completed_at, r.updated_at) < $1
		AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.request_id = r.id AND h.released_at IS NULL)
		AND NOT EXISTS (SELECT 1 FROM recipient_notices n WHERE n.request_id = r.id AND n.state IN ('pending', 'queued', 'manual', 'failed'))
		AND NOT EXISTS (SELECT 1 FROM object_holds oh WHERE oh.request_id = r.id AND oh.released_at IS NULL
			AND (oh.keep_until IS NULL OR oh.keep_until > $2))
		AND NOT EXISTS (SELECT 1 FROM request_steps s WHERE s.request_id = r.id AND s.name = '_kept' AND s.state = 'pending')
		ORDER BY COALESCE(r.completed_at, r.updated_at), r.id LIMIT $3`, []any{b, o.now().UnixMicro(), int64(limit)}, scanRequest)
}

// DeleteRequests implements store.Ops.
func (o *Ops) DeleteRequests(ctx context.Context, ids []string) (store.RequestPurgeCounts, error) {
	var c store.RequestPurgeCounts
	if len(ids) == 0 {
		return c, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := `(` + placeholders(1, len(ids)) + `)`
	err := o.Atomic(ctx, func(t *Ops) error {
		var err error
		if c.Steps, err = t.exec(ctx, `DELETE FROM request_steps WHERE request_id IN `+in, args...); err != nil {
			return err
		}
		if c.Blobs, err = t.deleteBlobsWhere(ctx, `request_id IN `+in, args...); err != nil {
			return err
		}
		if c.Notices, err = t.exec(ctx, `DELETE FROM recipient_notices WHERE request_id IN `+in, args...); err != nil {
			return err
		}
		if c.ObjectHolds, err = t.exec(ctx, `DELETE FROM object_holds WHERE request_id IN `+in, args...); err != nil {
			return err
		}
		if c.LegalHolds, err = t.exec(ctx, `DELETE FROM legal_holds WHERE released_at IS NOT NULL AND request_id IN `+in, args...); err != nil {
			return err
		}
		c.Requests, err = t.exec(ctx, `DELETE FROM requests WHERE id IN `+in, args...)
		return err
	})
	return c, err
}

// CountSuppressionsBefore implements store.Ops.
func (o *Ops) CountSuppressionsBefore(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := o.queryRow(ctx, `SELECT COUNT(*) FROM suppressions WHERE created_at < $1`, []any{before.UnixMicro()}, &n)
	return n, err
}

// DeleteSuppressionsBefore implements store.Ops.
func (o *Ops) DeleteSuppressionsBefore(ctx context.Context, before time.Time, limit int) (int64, error) {
	if limit <= 0 {
		limit = 1000
	}
	return o.exec(ctx, `DELETE FROM suppressions WHERE ref IN (SELECT ref FROM suppressions WHERE created_at < $1
		ORDER BY created_at, ref LIMIT $2)`, before.UnixMicro(), int64(limit))
}

// StepsByName implements store.Ops.
func (o *Ops) StepsByName(ctx context.Context, name string, state store.StepState, limit int) ([]store.Step, error) {
	if limit <= 0 {
		limit = 1000
	}
	return queryList(ctx, o, `SELECT request_id, name, state, attempts, detail, started_at, finished_at
		FROM request_steps WHERE name = $1 AND state = $2 ORDER BY request_id LIMIT $3`, []any{name, string(state), int64(limit)},
		func(r Rows) (store.Step, error) {
			var s store.Step
			var st, detail string
			var attempts int64
			err := r.Scan(&s.RequestID, &s.Name, &st, &attempts, &detail, tc(&s.StartedAt), tc(&s.FinishedAt))
			s.State, s.Attempts, s.Detail = store.StepState(st), int(attempts), jsonOut(detail)
			return s, err
		})
}
