package sqlcore

import (
	"context"
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// WebhookEventsByContact implements store.WebhookEventLister.
func (o *Ops) WebhookEventsByContact(ctx context.Context, contactID string) ([]store.WebhookEvent, error) {
	if contactID == "" {
		return nil, fmt.Errorf("%w: contact id is empty", store.ErrInvalid)
	}
	var out []store.WebhookEvent
	err := o.queryAll(ctx, `SELECT `+webhookCols+` FROM webhook_events WHERE contact_id = $1
		ORDER BY received_at, notification_id`, []any{contactID}, func(r Rows) error {
		var e store.WebhookEvent
		err := r.Scan(&e.NotificationID, &e.Topic, &e.ContactID, &e.PayloadEnc, &e.PersonKeyID,
			tc(&e.ReceivedAt), tc(&e.ProcessedAt))
		out = append(out, e)
		return err
	})
	return out, err
}

var _ store.WebhookEventLister = (*Ops)(nil)
