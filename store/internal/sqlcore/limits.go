package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

const limitCols = `kind, ref, ref_kind, request_id, subject_ref, scope, created_at, lifted_at, lifted_by`

func scanLimit(r Rows) (store.ProcessingLimit, error) {
	var l store.ProcessingLimit
	var kind string
	err := r.Scan(&kind, &l.Ref, &l.RefKind, &l.RequestID, &l.SubjectRef, &l.Scope, tc(&l.CreatedAt), tc(&l.LiftedAt), &l.LiftedBy)
	l.Kind = store.LimitKind(kind)
	return l, err
}

// AddLimits implements store.Limits.
func (o *Ops) AddLimits(ctx context.Context, ls []store.ProcessingLimit) (int, error) {
	added := 0
	err := o.Atomic(ctx, func(t *Ops) error {
		now := t.now()
		for _, l := range ls {
			if l.Kind == "" || len(l.Ref) == 0 || l.RequestID == "" {
				return fmt.Errorf("%w: a processing limit needs a kind, a ref and a request", store.ErrInvalid)
			}
			if l.CreatedAt.IsZero() {
				l.CreatedAt = now
			}
			n, err := t.exec(ctx, `INSERT INTO processing_limits (`+limitCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (kind, ref, request_id) DO NOTHING`,
				string(l.Kind), l.Ref, l.RefKind, l.RequestID, l.SubjectRef, l.Scope, ts(l.CreatedAt), ts(l.LiftedAt), l.LiftedBy)
			if err != nil {
				return err
			}
			added += int(n)
		}
		return nil
	})
	return added, err
}

func nonEmptyRefs(refs [][]byte) []any {
	var args []any
	for _, r := range refs {
		if len(r) > 0 {
			args = append(args, r)
		}
	}
	return args
}

// Limited implements store.Limits.
func (o *Ops) Limited(ctx context.Context, kind store.LimitKind, refs ...[]byte) (bool, error) {
	args := nonEmptyRefs(refs)
	if len(args) == 0 {
		return false, nil
	}
	args = append(args, string(kind))
	var one int64
	err := o.queryRow(ctx, `SELECT 1 FROM processing_limits WHERE ref IN (`+placeholders(1, len(args)-1)+`)
		AND kind = $`+fmt.Sprint(len(args))+` AND lifted_at IS NULL LIMIT 1`, args, &one)
	if errors.Is(err, errNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ActiveLimits implements store.Limits.
func (o *Ops) ActiveLimits(ctx context.Context, subjectRef string, refs ...[]byte) ([]store.ProcessingLimit, error) {
	args := nonEmptyRefs(refs)
	var cond string
	if len(args) > 0 {
		cond = `ref IN (` + placeholders(1, len(args)) + `)`
	}
	if subjectRef != "" {
		args = append(args, subjectRef)
		if cond != "" {
			cond += " OR "
		}
		cond += fmt.Sprintf("subject_ref = $%d", len(args))
	}
	if cond == "" {
		return nil, nil
	}
	return queryList(ctx, o, `SELECT `+limitCols+` FROM processing_limits WHERE lifted_at IS NULL AND (`+cond+`)
		ORDER BY created_at, request_id, kind, ref`, args, scanLimit)
}

// LiftLimits implements store.Limits.
func (o *Ops) LiftLimits(ctx context.Context, kind store.LimitKind, requestID, liftedBy string, at time.Time) (int64, error) {
	if requestID == "" || liftedBy == "" {
		return 0, fmt.Errorf("%w: lifting a limit needs the request that made it and the one that lifts it", store.ErrInvalid)
	}
	if at.IsZero() {
		at = o.now()
	}
	return o.exec(ctx, `UPDATE processing_limits SET lifted_at = $1, lifted_by = $2
		WHERE kind = $3 AND request_id = $4 AND lifted_at IS NULL`, ts(at), liftedBy, string(kind), requestID)
}

// ActiveLimitRefs implements store.Limits.
func (o *Ops) ActiveLimitRefs(ctx context.Context) ([][]byte, error) {
	return queryList(ctx, o, `SELECT DISTINCT ref FROM processing_limits WHERE lifted_at IS NULL ORDER BY ref`, nil,
		func(r Rows) ([]byte, error) {
			var b []byte
			err := r.Scan(&b)
			return b, err
		})
}
