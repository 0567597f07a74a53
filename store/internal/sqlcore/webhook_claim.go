package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// ClaimWebhookEvent implements store.WebhookEventClaimer. The conditional
// UPDATE is the claim: on PostgreSQL (READ COMMITTED) a second UPDATE of the
// same row waits for the first transaction and then re-checks the condition, so
// only one claimer sees a changed row; SQLite write transactions are exclusive.
func (o *Ops) ClaimWebhookEvent(ctx context.Context, notificationID string, at time.Time) (bool, error) {
	if notificationID == "" {
		return false, fmt.Errorf("%w: webhook NotificationID is empty", store.ErrInvalid)
	}
	if at.IsZero() {
		at = o.now()
	}
	n, err := o.exec(ctx, `UPDATE webhook_events SET processed_at = $2 WHERE notification_id = $1 AND processed_at IS NULL`,
		notificationID, ts(at))
	if err != nil {
		return false, err
	}
	if n > 0 {
		return true, nil
	}
	var one int64
	err = o.queryRow(ctx, `SELECT 1 FROM webhook_events WHERE notification_id = $1`, []any{notificationID}, &one)
	if errors.Is(err, errNoRows) {
		return false, store.NotFound("webhook_event")
	}
	return false, err
}

var _ store.WebhookEventClaimer = (*Ops)(nil)
