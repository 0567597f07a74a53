package store

import (
	"context"
	"time"
)

// ReplyState is where a reply to the person in Intercom stands.
type ReplyState string

// The states of an IntercomReply.
const (
	// ReplyPending: written, not yet taken by Intercom; the sender tries it at
	// NextAttemptAt (a claimed reply's NextAttemptAt is the end of its claim).
	ReplyPending ReplyState = "pending"
	// ReplySent: Intercom took it (or it was found posted after a crash). Its
	// content and key are gone.
	ReplySent ReplyState = "sent"
	// ReplyFailed: Intercom refused it for good (the conversation or ticket is
	// gone, the admin unknown), or the target does not take replies the
	// person sees; an operator looks at it.
	ReplyFailed ReplyState = "failed"
)

// Reply targets.
const (
	ReplyConversation = "conversation"
	ReplyTicket       = "ticket"
)

// IntercomReply is one reply to the person in the Intercom conversation or
// ticket a request was filed from, or the record that it was posted. It is
// written in the transaction of the change that causes it (package
// tagintake), like an OutboxMessage; the body is in ContentEnc, encrypted
// under a key of the reply's own (KeyID).
type IntercomReply struct {
	// ID is set by EnqueueReply when empty ("rpl_" + 128 random bits).
	ID        string
	RequestID string
	// TargetType is ReplyConversation or ReplyTicket; TargetID its Intercom id.
	TargetType string
	TargetID   string
	// Kind names the milestone ("acknowledgement", "extension", ...).
	Kind string
	// DedupKey is unique among all replies: a second reply with it inserts
	// nothing.
	DedupKey   string
	KeyID      string
	ContentEnc []byte
	State      ReplyState
	// Attempts counts the claims: a reply found pending with Attempts > 0
	// may have reached Intercom, and is looked for there before it is posted.
	Attempts      int
	NextAttemptAt time.Time
	// LastError is a class of the last failure, never Intercom's text.
	LastError string
	// PartID is the Intercom part id of the posted reply ("" when found
	// posted without one).
	PartID    string
	CreatedAt time.Time
	SentAt    time.Time
}

// IntercomReplies keeps the replies to people in Intercom, posted by the
// workers (package tagintake).
type IntercomReplies interface {
	// EnqueueReply inserts r unless a reply with its DedupKey exists (ID,
	// State, CreatedAt and NextAttemptAt filled when empty) and returns the
	// reply as stored and whether it inserted it.
	EnqueueReply(ctx context.Context, r IntercomReply) (IntercomReply, bool, error)
	// GetReply returns one reply.
	GetReply(ctx context.Context, id string) (IntercomReply, error)
	// RepliesByRequest lists a request's replies, oldest first.
	RepliesByRequest(ctx context.Context, requestID string) ([]IntercomReply, error)
	// DueReplies lists up to limit pending replies whose NextAttemptAt is not
	// after now, earliest first.
	DueReplies(ctx context.Context, now time.Time, limit int) ([]IntercomReply, error)
	// UpdateReply replaces the mutable fields (State, Attempts, NextAttemptAt,
	// LastError, ContentEnc, PartID, SentAt) if the stored State and Attempts
	// are still those of expected; otherwise ErrStateConflict (ErrNotFound
	// when there is no such reply).
	UpdateReply(ctx context.Context, r, expected IntercomReply) error
}

// RateWindows are fixed-window counters shared by every process on the
// database (the public form's rate limits). Keys are keyed hashes, never a
// raw address.
type RateWindows interface {
	// HitRate adds one to the counter of (bucket, key) in the window that
	// starts at start and ends at end, creating it, and returns the count
	// after the hit.
	HitRate(ctx context.Context, bucket, key string, start, end time.Time) (int64, error)
	// DeleteRateWindows deletes the windows that ended before before and
	// returns how many.
	DeleteRateWindows(ctx context.Context, before time.Time) (int64, error)
}
