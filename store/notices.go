package store

import (
	"context"
	"time"
)

// NoticeState is where a notice to a recipient stands.
type NoticeState string

// The states of a RecipientNotice.
const (
	// NoticePending: a webhook notice not yet acknowledged; the sender tries it
	// at NextAttemptAt.
	NoticePending NoticeState = "pending"
	// NoticeSent: the recipient acknowledged it (a 2xx answer).
	NoticeSent NoticeState = "sent"
	// NoticeManual: an operator must tell the recipient (method manual, or
	// email when no mail server is configured) and tick it off.
	NoticeManual NoticeState = "manual"
	// NoticeDone: an operator recorded that the recipient was told.
	NoticeDone NoticeState = "done"
	// NoticeWaived: an operator recorded that telling the recipient is
	// impossible or involves disproportionate effort (GDPR Art. 19), with a reason.
	NoticeWaived NoticeState = "waived"
	// NoticeFailed: the sender gave up after its retries; an operator retries
	// or waives it.
	NoticeFailed NoticeState = "failed"
	// NoticeQueued: an email notice written to the mail outbox (package mail)
	// in the transaction that planned it; it becomes sent, or failed, in the
	// transaction that records its message sent or refused.
	NoticeQueued NoticeState = "queued"
)

// Open reports whether the notice still needs something to happen.
func (s NoticeState) Open() bool {
	return s == NoticePending || s == NoticeManual || s == NoticeFailed
}

// RecipientNotice is one notice to one recipient of the data about one change
// (an erasure, a correction, a restriction) made for one request. It names the
// recipient by its registry name and holds no personal data.
type RecipientNotice struct {
	ID            string
	RequestID     string
	Recipient     string // the registry name
	Event         string // erasure, correction, restriction
	Method        string // webhook, email, manual
	State         NoticeState
	Attempts      int
	NextAttemptAt time.Time
	LastError     string // a status or error class, never a body
	Reason        string // why it was waived, when it was
	CreatedAt     time.Time
	FinishedAt    time.Time
}

// Notices keeps the notices owed to the recipients of the data (GDPR Art. 19,
// CCPA §7022(b)).
type Notices interface {
	// PlanNotices inserts the notices not yet planned (one per RequestID,
	// Recipient and Event; ID generated when empty, CreatedAt and NextAttemptAt
	// set to now when zero) and returns how many it inserted; planning twice
	// inserts nothing more.
	PlanNotices(ctx context.Context, ns []RecipientNotice) (int, error)
	// GetNotice returns one notice.
	GetNotice(ctx context.Context, id string) (RecipientNotice, error)
	// NoticesByRequest lists a request's notices, oldest first.
	NoticesByRequest(ctx context.Context, requestID string) ([]RecipientNotice, error)
	// NoticesInState lists up to limit notices in any of states, oldest first.
	NoticesInState(ctx context.Context, limit int, states ...NoticeState) ([]RecipientNotice, error)
	// DueNotices lists up to limit pending notices whose NextAttemptAt is not
	// after now, earliest first.
	DueNotices(ctx context.Context, now time.Time, limit int) ([]RecipientNotice, error)
	// UpdateNotice replaces the mutable fields (State, Attempts, NextAttemptAt,
	// LastError, Reason, FinishedAt) if the stored State and Attempts are still
	// those of expected; otherwise it fails with ErrStateConflict.
	UpdateNotice(ctx context.Context, n RecipientNotice, expected RecipientNotice) error
}
