package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

const noticeCols = `id, request_id, recipient, event, method, state, attempts, next_attempt_at, last_error, reason, created_at, finished_at`

func scanNotice(r Rows) (store.RecipientNotice, error) {
	var n store.RecipientNotice
	var state string
	var attempts int64
	err := r.Scan(&n.ID, &n.RequestID, &n.Recipient, &n.Event, &n.Method, &state, &attempts,
		tc(&n.NextAttemptAt), &n.LastError, &n.Reason, tc(&n.CreatedAt), tc(&n.FinishedAt))
	n.State, n.Attempts = store.NoticeState(state), int(attempts)
	return n, err
}

// PlanNotices implements store.Notices.
func (o *Ops) PlanNotices(ctx context.Context, ns []store.RecipientNotice) (int, error) {
	inserted := 0
	err := o.Atomic(ctx, func(t *Ops) error {
		now := t.now()
		for _, n := range ns {
			if n.RequestID == "" || n.Recipient == "" || n.Event == "" || n.Method == "" || n.State == "" {
				return fmt.Errorf("%w: a notice needs a request, a recipient, an event, a method and a state", store.ErrInvalid)
			}
			if n.ID == "" {
				n.ID = store.NewID("ntc_")
			}
			if n.CreatedAt.IsZero() {
				n.CreatedAt = now
			}
			if n.NextAttemptAt.IsZero() {
				n.NextAttemptAt = now
			}
			c, err := t.exec(ctx, `INSERT INTO recipient_notices (`+noticeCols+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
				ON CONFLICT (request_id, recipient, event) DO NOTHING`,
				n.ID, n.RequestID, n.Recipient, n.Event, n.Method, string(n.State), int64(n.Attempts),
				n.NextAttemptAt.UnixMicro(), n.LastError, n.Reason, n.CreatedAt.UnixMicro(), ts(n.FinishedAt))
			if err != nil {
				return err
			}
			inserted += int(c)
		}
		return nil
	})
	return inserted, err
}

// GetNotice implements store.Notices.
func (o *Ops) GetNotice(ctx context.Context, id string) (store.RecipientNotice, error) {
	return queryOne(ctx, o, "recipient_notice", `SELECT `+noticeCols+` FROM recipient_notices WHERE id = $1`, []any{id}, scanNotice)
}

// NoticesByRequest implements store.Notices.
func (o *Ops) NoticesByRequest(ctx context.Context, requestID string) ([]store.RecipientNotice, error) {
	return queryList(ctx, o, `SELECT `+noticeCols+` FROM recipient_notices WHERE request_id = $1 ORDER BY created_at, id`,
		[]any{requestID}, scanNotice)
}

// NoticesInState implements store.Notices.
func (o *Ops) NoticesInState(ctx context.Context, limit int, states ...store.NoticeState) ([]store.RecipientNotice, error) {
	if len(states) == 0 {
		return nil, fmt.Errorf("%w: no notice state given", store.ErrInvalid)
	}
	if limit <= 0 {
		limit = 100
	}
	args := []any{int64(limit)}
	in := ""
	for i, s := range states {
		if i > 0 {
			in += ", "
		}
		args = append(args, string(s))
		in += fmt.Sprintf("$%d", i+2)
	}
	return queryList(ctx, o, `SELECT `+noticeCols+` FROM recipient_notices WHERE state IN (`+in+`)
		ORDER BY created_at, id LIMIT $1`, args, scanNotice)
}

// DueNotices implements store.Notices.
func (o *Ops) DueNotices(ctx context.Context, now time.Time, limit int) ([]store.RecipientNotice, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, o, `SELECT `+noticeCols+` FROM recipient_notices
		WHERE state = $1 AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3`,
		[]any{string(store.NoticePending), now.UnixMicro(), int64(limit)}, scanNotice)
}

// UpdateNotice implements store.Notices: one conditional UPDATE, so two senders
// that read the same notice cannot both record an attempt.
func (o *Ops) UpdateNotice(ctx context.Context, n, expected store.RecipientNotice) error {
	c, err := o.exec(ctx, `UPDATE recipient_notices SET state = $3, attempts = $4, next_attempt_at = $5,
		last_error = $6, reason = $7, finished_at = $8
		WHERE id = $1 AND state = $2 AND attempts = $9`,
		n.ID, string(expected.State), string(n.State), int64(n.Attempts), n.NextAttemptAt.UnixMicro(),
		n.LastError, n.Reason, ts(n.FinishedAt), int64(expected.Attempts))
	if err != nil {
		return err
	}
	if c == 0 {
		if _, err := o.GetNotice(ctx, n.ID); err != nil {
			return err
		}
		return fmt.Errorf("%w: notice %s is no longer %s after %d attempts", store.ErrStateConflict, n.ID, expected.State, expected.Attempts)
	}
	return nil
}

var _ store.Notices = (*Ops)(nil)
