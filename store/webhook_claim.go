package store

import (
	"context"
	"time"
)

// WebhookEventClaimer is implemented by stores that can mark a webhook event
// processed only if it is not already (both built-in backends do). The webhook
// applier of the minimal sync (package contactsync) uses it inside the
// transaction that applies an event, so that two processes applying the same
// event never both record its effect. It is a separate interface so that other
// Store implementations need not provide it.
type WebhookEventClaimer interface {
	// ClaimWebhookEvent sets ProcessedAt of an unprocessed event to at and reports
	// claimed true; for an event already processed it changes nothing and
	// reports false. An event that does not exist (never stored, or deleted by a
	// purge or by retention) gives an error matching ErrNotFound. On PostgreSQL a
	// concurrent claim of the same event waits for the first to commit and then
	// reports false.
	ClaimWebhookEvent(ctx context.Context, notificationID string, at time.Time) (claimed bool, err error)
}
