package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

const replyCols = `id, request_id, target_type, target_id, kind, dedup_key, key_id, content_enc, state, attempts,
	next_attempt_at, last_error, part_id, created_at, sent_at`

func scanReply(r Rows) (store.IntercomReply, error) {
	var m store.IntercomReply
	var state string
	var attempts int64
	err := r.Scan(&m.ID, &m.RequestID, &m.TargetType, &m.TargetID, &m.Kind, &m.DedupKey, &m.KeyID, &m.ContentEnc, &state, &attempts,
		tc(&m.NextAttemptAt), &m.LastError, &m.PartID, tc(&m.CreatedAt), tc(&m.SentAt))
	m.State, m.Attempts, m.ContentEnc = store.ReplyState(state), int(attempts), nilIfEmpty(m.ContentEnc)
	return m, err
}

// EnqueueReply implements store.IntercomReplies.
func (o *Ops) EnqueueReply(ctx context.Context, m store.IntercomReply) (store.IntercomReply, bool, error) {
	switch {
	case m.RequestID == "" || m.Kind == "" || m.DedupKey == "" || m.KeyID == "" || len(m.ContentEnc) == 0:
		return store.IntercomReply{}, false, fmt.Errorf("%w: a reply needs a request, a kind, a dedup key, a key id and its content", store.ErrInvalid)
	case m.TargetType != store.ReplyConversation && m.TargetType != store.ReplyTicket, m.TargetID == "":
		return store.IntercomReply{}, false, fmt.Errorf("%w: a reply's target is a conversation or a ticket, by id", store.ErrInvalid)
	}
	now := o.now()
	if m.ID == "" {
		m.ID = store.NewID("rpl_")
	}
	if m.State == "" {
		m.State = store.ReplyPending
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	var out store.IntercomReply
	inserted := false
	err := o.Atomic(ctx, func(t *Ops) error {
		c, err := t.exec(ctx, `INSERT INTO intercom_replies (`+replyCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
			ON CONFLICT (dedup_key) DO NOTHING`,
			m.ID, m.RequestID, m.TargetType, m.TargetID, m.Kind, m.DedupKey, m.KeyID, bval(m.ContentEnc), string(m.State),
			int64(m.Attempts), m.NextAttemptAt.UTC().UnixMicro(), m.LastError, m.PartID, m.CreatedAt.UTC().UnixMicro(), ts(m.SentAt))
		if err != nil {
			return err
		}
		inserted = c > 0
		out, err = queryOne(ctx, t, "intercom_reply", `SELECT `+replyCols+` FROM intercom_replies WHERE dedup_key = $1`,
			[]any{m.DedupKey}, scanReply)
		return err
	})
	return out, inserted, err
}

// GetReply implements store.IntercomReplies.
func (o *Ops) GetReply(ctx context.Context, id string) (store.IntercomReply, error) {
	return queryOne(ctx, o, "intercom_reply", `SELECT `+replyCols+` FROM intercom_replies WHERE id = $1`, []any{id}, scanReply)
}

// RepliesByRequest implements store.IntercomReplies.
func (o *Ops) RepliesByRequest(ctx context.Context, requestID string) ([]store.IntercomReply, error) {
	return queryList(ctx, o, `SELECT `+replyCols+` FROM intercom_replies WHERE request_id = $1 ORDER BY created_at, id`,
		[]any{requestID}, scanReply)
}

// DueReplies implements store.IntercomReplies.
func (o *Ops) DueReplies(ctx context.Context, now time.Time, limit int) ([]store.IntercomReply, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, o, `SELECT `+replyCols+` FROM intercom_replies
		WHERE state = $1 AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3`,
		[]any{string(store.ReplyPending), now.UTC().UnixMicro(), int64(limit)}, scanReply)
}

// UpdateReply implements store.IntercomReplies: one conditional UPDATE, so
// two senders that read the same reply cannot both claim it.
func (o *Ops) UpdateReply(ctx context.Context, m, expected store.IntercomReply) error {
	c, err := o.exec(ctx, `UPDATE intercom_replies SET state = $3, attempts = $4, next_attempt_at = $5,
		last_error = $6, content_enc = $7, part_id = $8, sent_at = $9
		WHERE id = $1 AND state = $2 AND attempts = $10`,
		m.ID, string(expected.State), string(m.State), int64(m.Attempts), m.NextAttemptAt.UTC().UnixMicro(),
		m.LastError, bval(m.ContentEnc), m.PartID, ts(m.SentAt), int64(expected.Attempts))
	if err != nil {
		return err
	}
	if c == 0 {
		if _, err := o.GetReply(ctx, m.ID); err != nil {
			return err
		}
		return fmt.Errorf("%w: reply %s is no longer %s after %d attempts", store.ErrStateConflict, m.ID, expected.State, expected.Attempts)
	}
	return nil
}

var _ store.IntercomReplies = (*Ops)(nil)

// HitRate implements store.RateWindows: one upsert, so concurrent hits of
// every process count once each.
func (o *Ops) HitRate(ctx context.Context, bucket, key string, start, end time.Time) (int64, error) {
	if bucket == "" || key == "" || !end.After(start) {
		return 0, fmt.Errorf("%w: a rate window needs a bucket, a key and an end after its start", store.ErrInvalid)
	}
	var n int64
	err := o.Atomic(ctx, func(t *Ops) error {
		return t.queryRow(ctx, `INSERT INTO rate_windows (bucket, key_hash, window_start, window_end, hits)
			VALUES ($1, $2, $3, $4, 1)
			ON CONFLICT (bucket, key_hash, window_start) DO UPDATE SET hits = rate_windows.hits + 1
			RETURNING hits`, []any{bucket, key, start.UTC().UnixMicro(), end.UTC().UnixMicro()}, &n)
	})
	return n, err
}

// DeleteRateWindows implements store.RateWindows.
func (o *Ops) DeleteRateWindows(ctx context.Context, before time.Time) (int64, error) {
	return o.exec(ctx, `DELETE FROM rate_windows WHERE window_end < $1`, before.UTC().UnixMicro())
}

var _ store.RateWindows = (*Ops)(nil)
