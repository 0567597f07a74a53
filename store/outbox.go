package store

import (
	"context"
	"time"
)

// MessageState is where a message of the outbox stands.
type MessageState string

// The states of an OutboxMessage.
const (
	// MessagePending: written, not yet accepted by the mail server; the sender
	// tries it at NextAttemptAt (a claimed message's NextAttemptAt is the end
	// of its claim).
	MessagePending MessageState = "pending"
	// MessageSent: the mail server accepted it. Its content and key are gone.
	MessageSent MessageState = "sent"
	// MessageFailed: the mail server refused it for good (a 5xx answer), or it
	// was retried for the whole give-up period; an operator looks at it.
	MessageFailed MessageState = "failed"
)

// OutboxMessage is one e-mail waiting to be sent, or the record that it was.
// It is written in the transaction of the state change that causes it (a
// request acknowledged, verified, extended, denied, completed), so a change
// that commits always has its message and one rolled back has none.
//
// Everything personal (the recipient's address, the subject and bodies) is in
// ContentEnc, encrypted under a key of the message's own (KeyID), which the
// sender destroys once the server accepted the message; the other columns hold
// ids, kinds, states and error classes, never an address or a text.
type OutboxMessage struct {
	// ID is set by EnqueueMessage when empty ("msg_" + 128 random bits); the
	// Message-ID header is derived from it, so a message sent twice after a
	// crash carries the same Message-ID both times.
	ID string
	// RequestID is the privacy request the message is about ("" for one that
	// is about none, such as an operators' digest).
	RequestID string
	// Kind names the template: "acknowledgement", "verification", ...
	Kind string
	// DedupKey is unique among all messages: writing a message with a key
	// already used inserts nothing (a resumed step does not mail twice).
	DedupKey string
	// KeyID names the vault key ContentEnc is encrypted under.
	KeyID      string
	ContentEnc []byte
	State      MessageState
	Attempts   int
	// NextAttemptAt is when the sender may try it next.
	NextAttemptAt time.Time
	// LastError is a class of the last failure ("connection refused", "smtp
	// 451 4.3.0 at RCPT"), never a server's text (it may quote the address).
	LastError string
	CreatedAt time.Time
	// SentAt is when the server accepted it (zero until then).
	SentAt time.Time
}

// OutboxCount is how many messages are in one state, and the oldest of them.
type OutboxCount struct {
	State    MessageState
	Count    int64
	OldestAt time.Time
}

// Outbox keeps the e-mail the workflows send to people and operators, sent by
// the workers (package mail).
type Outbox interface {
	// EnqueueMessage inserts m unless a message with its DedupKey exists (ID
	// generated when empty, State pending when empty, CreatedAt and
	// NextAttemptAt now when zero) and returns the message as stored (the
	// existing one for a duplicate) and whether it inserted it.
	EnqueueMessage(ctx context.Context, m OutboxMessage) (OutboxMessage, bool, error)
	// GetMessage returns one message.
	GetMessage(ctx context.Context, id string) (OutboxMessage, error)
	// MessagesByRequest lists a request's messages, oldest first.
	MessagesByRequest(ctx context.Context, requestID string) ([]OutboxMessage, error)
	// MessagesInState lists up to limit messages in any of states, oldest first.
	MessagesInState(ctx context.Context, limit int, states ...MessageState) ([]OutboxMessage, error)
	// DueMessages lists up to limit pending messages whose NextAttemptAt is
	// not after now, earliest first.
	DueMessages(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error)
	// UpdateMessage replaces the mutable fields (State, Attempts,
	// NextAttemptAt, LastError, ContentEnc, SentAt) if the stored State and
	// Attempts are still those of expected; otherwise it fails with
	// ErrStateConflict (ErrNotFound when there is no such message).
	UpdateMessage(ctx context.Context, m, expected OutboxMessage) error
	// OutboxCounts counts the messages by state, with the oldest CreatedAt of
	// each (the dashboard: how many wait, since when).
	OutboxCounts(ctx context.Context) ([]OutboxCount, error)
}
