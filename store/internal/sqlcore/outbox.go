package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

const outboxCols = `id, request_id, kind, dedup_key, key_id, content_enc, state, attempts, next_attempt_at, last_error, created_at, sent_at`

func scanMessage(r Rows) (store.OutboxMessage, error) {
	var m store.OutboxMessage
	var state string
	var attempts int64
	err := r.Scan(&m.ID, &m.RequestID, &m.Kind, &m.DedupKey, &m.KeyID, &m.ContentEnc, &state, &attempts,
		tc(&m.NextAttemptAt), &m.LastError, tc(&m.CreatedAt), tc(&m.SentAt))
	m.State, m.Attempts, m.ContentEnc = store.MessageState(state), int(attempts), nilIfEmpty(m.ContentEnc)
	return m, err
}

// EnqueueMessage implements store.Outbox.
func (o *Ops) EnqueueMessage(ctx context.Context, m store.OutboxMessage) (store.OutboxMessage, bool, error) {
	if m.Kind == "" || m.DedupKey == "" || m.KeyID == "" || len(m.ContentEnc) == 0 {
		return store.OutboxMessage{}, false, fmt.Errorf("%w: a message needs a kind, a dedup key, a key id and its content", store.ErrInvalid)
	}
	now := o.now()
	if m.ID == "" {
		m.ID = store.NewID("msg_")
	}
	if m.State == "" {
		m.State = store.MessagePending
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = now
	}
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	var out store.OutboxMessage
	inserted := false
	err := o.Atomic(ctx, func(t *Ops) error {
		c, err := t.exec(ctx, `INSERT INTO outbox_messages (`+outboxCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (dedup_key) DO NOTHING`,
			m.ID, m.RequestID, m.Kind, m.DedupKey, m.KeyID, bval(m.ContentEnc), string(m.State), int64(m.Attempts),
			m.NextAttemptAt.UTC().UnixMicro(), m.LastError, m.CreatedAt.UTC().UnixMicro(), ts(m.SentAt))
		if err != nil {
			return err
		}
		inserted = c > 0
		out, err = queryOne(ctx, t, "outbox_message", `SELECT `+outboxCols+` FROM outbox_messages WHERE dedup_key = $1`,
			[]any{m.DedupKey}, scanMessage)
		return err
	})
	return out, inserted, err
}

// GetMessage implements store.Outbox.
func (o *Ops) GetMessage(ctx context.Context, id string) (store.OutboxMessage, error) {
	return queryOne(ctx, o, "outbox_message", `SELECT `+outboxCols+` FROM outbox_messages WHERE id = $1`, []any{id}, scanMessage)
}

// MessagesByRequest implements store.Outbox.
func (o *Ops) MessagesByRequest(ctx context.Context, requestID string) ([]store.OutboxMessage, error) {
	return queryList(ctx, o, `SELECT `+outboxCols+` FROM outbox_messages WHERE request_id = $1 ORDER BY created_at, id`,
		[]any{requestID}, scanMessage)
}

// MessagesInState implements store.Outbox.
func (o *Ops) MessagesInState(ctx context.Context, limit int, states ...store.MessageState) ([]store.OutboxMessage, error) {
	if len(states) == 0 {
		return nil, fmt.Errorf("%w: no message state given", store.ErrInvalid)
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
	return queryList(ctx, o, `SELECT `+outboxCols+` FROM outbox_messages WHERE state IN (`+in+`)
		ORDER BY created_at, id LIMIT $1`, args, scanMessage)
}

// DueMessages implements store.Outbox.
func (o *Ops) DueMessages(ctx context.Context, now time.Time, limit int) ([]store.OutboxMessage, error) {
	if limit <= 0 {
		limit = 100
	}
	return queryList(ctx, o, `SELECT `+outboxCols+` FROM outbox_messages
		WHERE state = $1 AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3`,
		[]any{string(store.MessagePending), now.UTC().UnixMicro(), int64(limit)}, scanMessage)
}

// UpdateMessage implements store.Outbox: one conditional UPDATE, so two
// senders that read the same message cannot both claim it.
func (o *Ops) UpdateMessage(ctx context.Context, m, expected store.OutboxMessage) error {
	c, err := o.exec(ctx, `UPDATE outbox_messages SET state = $3, attempts = $4, next_attempt_at = $5,
		last_error = $6, content_enc = $7, sent_at = $8
		WHERE id = $1 AND state = $2 AND attempts = $9`,
		m.ID, string(expected.State), string(m.State), int64(m.Attempts), m.NextAttemptAt.UTC().UnixMicro(),
		m.LastError, bval(m.ContentEnc), ts(m.SentAt), int64(expected.Attempts))
	if err != nil {
		return err
	}
	if c == 0 {
		if _, err := o.GetMessage(ctx, m.ID); err != nil {
			return err
		}
		return fmt.Errorf("%w: message %s is no longer %s after %d attempts", store.ErrStateConflict, m.ID, expected.State, expected.Attempts)
	}
	return nil
}

// OutboxCounts implements store.Outbox.
func (o *Ops) OutboxCounts(ctx context.Context) ([]store.OutboxCount, error) {
	return queryList(ctx, o, `SELECT state, COUNT(*), MIN(created_at) FROM outbox_messages GROUP BY state ORDER BY state`, nil,
		func(r Rows) (store.OutboxCount, error) {
			var c store.OutboxCount
			var state string
			err := r.Scan(&state, &c.Count, tc(&c.OldestAt))
			c.State = store.MessageState(state)
			return c, err
		})
}

var _ store.Outbox = (*Ops)(nil)
