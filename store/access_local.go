package store

import "context"

// WebhookEventLister is implemented by stores that can list the webhook events kept
// for one contact (both built-in backends do). The access workflow uses it to put
// what the local store holds about a person in their access package; it is a
// separate interface so that other Store implementations need not provide it.
type WebhookEventLister interface {
	// WebhookEventsByContact lists the events of a contact, oldest first (by
	// ReceivedAt, then NotificationID).
	WebhookEventsByContact(ctx context.Context, contactID string) ([]WebhookEvent, error)
}
