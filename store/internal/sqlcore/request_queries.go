package sqlcore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// AddRequestNote implements store.Ops.
func (o *Ops) AddRequestNote(ctx context.Context, n store.RequestNote) (store.RequestNote, error) {
	if n.RequestID == "" || n.Author == "" || len(n.BodyEnc) == 0 {
		return store.RequestNote{}, fmt.Errorf("%w: a note needs RequestID, Author and BodyEnc", store.ErrInvalid)
	}
	if n.ID == "" {
		n.ID = store.NewID("note_")
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = o.now()
	}
	n.CreatedAt = n.CreatedAt.UTC().Truncate(time.Microsecond)
	err := o.Atomic(ctx, func(t *Ops) error {
		if _, err := t.GetRequest(ctx, n.RequestID); err != nil {
			return err
		}
		_, err := t.exec(ctx, `INSERT INTO request_notes (id, request_id, author, body_enc, created_at) VALUES ($1, $2, $3, $4, $5)`,
			n.ID, n.RequestID, n.Author, n.BodyEnc, ts(n.CreatedAt))
		return err
	})
	if err != nil {
		return store.RequestNote{}, err
	}
	return n, nil
}

// RequestNotes implements store.Ops.
func (o *Ops) RequestNotes(ctx context.Context, requestID string) ([]store.RequestNote, error) {
	return queryList(ctx, o, `SELECT id, request_id, author, body_enc, created_at FROM request_notes
		WHERE request_id = $1 ORDER BY created_at, id`, []any{requestID}, func(r Rows) (store.RequestNote, error) {
		var n store.RequestNote
		err := r.Scan(&n.ID, &n.RequestID, &n.Author, &n.BodyEnc, tc(&n.CreatedAt))
		return n, err
	})
}

// RequestAudit implements store.Ops: the request's records through the
// audit_records_request index.
func (o *Ops) RequestAudit(ctx context.Context, requestID string) ([]audit.StoredRecord, error) {
	if requestID == "" {
		return nil, fmt.Errorf("%w: empty request id", store.ErrInvalid)
	}
	return queryList(ctx, o, `SELECT seq, recorded_at, action, request_id, subject_ref, body, prev_hash, hash
		FROM audit_records WHERE request_id = $1 ORDER BY seq`, []any{requestID}, func(r Rows) (audit.StoredRecord, error) {
		var x audit.StoredRecord
		err := r.Scan(&x.Seq, tc(&x.Time), &x.Action, &x.RequestID, &x.SubjectRef, &x.Body, &x.PrevHash, &x.Hash)
		return x, err
	})
}

// PutIdempotent implements store.Ops.
func (o *Ops) PutIdempotent(ctx context.Context, r store.IdempotentResponse) (store.IdempotentResponse, bool, error) {
	if r.Scope == "" || r.Key == "" {
		return store.IdempotentResponse{}, false, fmt.Errorf("%w: an idempotency key needs a scope and a key", store.ErrInvalid)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = o.now()
	}
	// ON CONFLICT DO NOTHING: of two calls racing with one key, one inserts
	// and the other reads the first one's answer (no aborted transaction).
	n, err := o.exec(ctx, `INSERT INTO idempotency_keys (scope, key, fingerprint, status, response, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (scope, key) DO NOTHING`,
		r.Scope, r.Key, r.Fingerprint, r.Status, r.Response, ts(r.CreatedAt))
	if err != nil {
		return store.IdempotentResponse{}, false, err
	}
	out, err := o.GetIdempotent(ctx, r.Scope, r.Key)
	return out, n == 0, err
}

// GetIdempotent implements store.Ops.
func (o *Ops) GetIdempotent(ctx context.Context, scope, key string) (store.IdempotentResponse, error) {
	return queryOne(ctx, o, "idempotency key", `SELECT scope, key, fingerprint, status, response, created_at
		FROM idempotency_keys WHERE scope = $1 AND key = $2`, []any{scope, key}, func(r Rows) (store.IdempotentResponse, error) {
		var x store.IdempotentResponse
		var status int64
		err := r.Scan(&x.Scope, &x.Key, &x.Fingerprint, &status, &x.Response, tc(&x.CreatedAt))
		x.Status = int(status)
		return x, err
	})
}

// tenthOfDay is a tenth of a day in microseconds.
const tenthOfDay = int64(24*time.Hour/time.Microsecond) / 10

// RequestStats implements store.Ops. Integer division on BIGINT microseconds
// floors on both backends.
func (o *Ops) RequestStats(ctx context.Context, from, to time.Time) ([]store.RequestStat, error) {
	return queryList(ctx, o, `SELECT type, jurisdiction, state, denial_reason,
			CASE WHEN completed_at IS NULL THEN -1 ELSE (completed_at - received_at) / `+strconv.FormatInt(tenthOfDay, 10)+` END AS tenths,
			COUNT(*), CAST(COALESCE(SUM(completed_at - received_at), 0) AS BIGINT)
		FROM requests WHERE received_at >= $1 AND received_at < $2
		GROUP BY type, jurisdiction, state, denial_reason, tenths`, []any{from.UnixMicro(), to.UnixMicro()},
		func(r Rows) (store.RequestStat, error) {
			var x store.RequestStat
			var typ, state string
			err := r.Scan(&typ, &x.Jurisdiction, &state, &x.DenialReason, &x.Tenths, &x.Count, &x.Micros)
			x.Type, x.State = store.RequestType(typ), store.RequestState(state)
			return x, err
		})
}

// CountRequests implements store.Ops: the rows of request_state_counts
// (migration 13), kept by triggers on requests.
func (o *Ops) CountRequests(ctx context.Context, states ...store.RequestState) (map[store.RequestState]int64, error) {
	out := map[store.RequestState]int64{}
	if len(states) == 0 {
		return out, nil
	}
	args := make([]any, len(states))
	for i, s := range states {
		args[i] = string(s)
	}
	err := o.queryAll(ctx, `SELECT state, n FROM request_state_counts WHERE n <> 0 AND state IN (`+placeholders(1, len(states))+`)`, args,
		scanCount(out))
	return out, err
}

// CountRequestsByState implements store.Ops: the rows of
// request_state_counts (migration 13), kept by triggers on requests in the
// statement that inserts, moves or deletes a request; a handful of rows
// whatever the number of requests.
func (o *Ops) CountRequestsByState(ctx context.Context) (map[store.RequestState]int64, error) {
	out := map[store.RequestState]int64{}
	err := o.queryAll(ctx, `SELECT state, n FROM request_state_counts WHERE n <> 0`, nil, scanCount(out))
	return out, err
}

func scanCount(out map[store.RequestState]int64) func(Rows) error {
	return func(r Rows) error {
		var st string
		var n int64
		if err := r.Scan(&st, &n); err != nil {
			return err
		}
		out[store.RequestState(st)] = n
		return nil
	}
}

// qualifiedRequestCols is requestCols with each column prefixed "r.", for
// joins.
var qualifiedRequestCols = func() string {
	cols := strings.Split(requestCols, ",")
	for i, c := range cols {
		cols[i] = "r." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// moreRows scans extra destinations after those a scanner asks for.
type moreRows struct {
	Rows
	extra []any
}

func (m moreRows) Scan(dest ...any) error { return m.Rows.Scan(append(dest, m.extra...)...) }

// PendingStepRequests implements store.Ops: one join of the requests, read
// in list order (the (state, received_at, id) index), to their pending step
// (the partial index request_steps_pending, migration 13), stopping at limit.
// CROSS JOIN makes SQLite keep that order: left to choose, it read every
// pending step, fetched each one's request and sorted them (38-54 ms at
// 100,000 requests with 1,250 paused, against 2-5 ms; measured on the
// benchmark's data). PostgreSQL plans it as the inner join it is.
func (o *Ops) PendingStepRequests(ctx context.Context, step string, states []store.RequestState, limit int) ([]store.RequestAtStep, error) {
	if step == "" {
		return nil, fmt.Errorf("%w: PendingStepRequests needs a step name", store.ErrInvalid)
	}
	if limit <= 0 {
		limit = 1000
	}
	args := []any{step}
	q := `SELECT ` + qualifiedRequestCols + `, s.attempts, s.detail, s.started_at, s.finished_at
		FROM requests r CROSS JOIN request_steps s
		WHERE s.request_id = r.id AND s.name = $1 AND s.state = 'pending'`
	if len(states) > 0 {
		q += ` AND r.state IN (` + placeholders(2, len(states)) + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	args = append(args, int64(limit))
	q += ` ORDER BY r.received_at, r.id LIMIT $` + strconv.Itoa(len(args))
	return queryList(ctx, o, q, args, func(r Rows) (store.RequestAtStep, error) {
		var x store.RequestAtStep
		var attempts int64
		var detail string
		req, err := scanRequest(moreRows{r, []any{&attempts, &detail, tc(&x.Step.StartedAt), tc(&x.Step.FinishedAt)}})
		x.Request = req
		x.Step.RequestID, x.Step.Name, x.Step.State = req.ID, step, store.StepPending
		x.Step.Attempts, x.Step.Detail = int(attempts), jsonOut(detail)
		return x, err
	})
}
