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
	return queryList(ctx, o, `SELECT `+webhookCols+` FROM webhook_events WHERE contact_id = $1
		ORDER BY received_at, notification_id`, []any{contactID}, scanWebhookEvent)
}

var _ store.WebhookEventLister = (*Ops)(nil)
