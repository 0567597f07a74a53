package store

import (
	"context"
	"time"
)

// The kinds of Intercom object an ObjectHold keeps.
const (
	ObjectContact      = "contact"
	ObjectConversation = "conversation"
	ObjectTicket       = "ticket"
)

// ObjectHold keeps one Intercom object through an erasure: the erasure leaves
// it in place (no DELETE, no redaction) and says why (GDPR Art. 17(3), CCPA
// §1798.105(d)). An operator's hold names no Rule and lasts until released; an
// exception an erasure applied under a configured rule names the rule and the
// request, and lasts until KeepUntil. It holds ids and codes, never a value.
type ObjectHold struct {
	// ID is set by AddObjectHold when empty ("ohold_" + 128 random bits).
	ID string
	// ObjectType is ObjectContact, ObjectConversation or ObjectTicket.
	ObjectType string
	// ObjectID is the object's Intercom id.
	ObjectID string
	// Basis is the code of the exception the object is kept under (package
	// jurisdiction: legal_claims, legal_obligation, security_incident, ...).
	Basis string
	// Reason must not contain personal data.
	Reason string
	// Rule names the configured exception an erasure applied (empty: a hold
	// an operator placed).
	Rule string
	// RequestID is the erasure that applied the exception.
	RequestID string
	// KeepUntil ends the hold (zero: until released).
	KeepUntil  time.Time
	CreatedAt  time.Time
	ReleasedAt time.Time
}

// Active reports whether the hold keeps its object at t.
func (h ObjectHold) Active(t time.Time) bool {
	return h.ReleasedAt.IsZero() && (h.KeepUntil.IsZero() || h.KeepUntil.After(t))
}

// ObjectHolds keeps the holds and exceptions on single Intercom objects.
type ObjectHolds interface {
	// AddObjectHold records a hold and returns it with ID and CreatedAt set.
	// ObjectType, ObjectID and Basis are required (ErrInvalid).
	AddObjectHold(ctx context.Context, h ObjectHold) (ObjectHold, error)
	// ReleaseObjectHold ends a hold; it reports whether an active one was released.
	ReleaseObjectHold(ctx context.Context, id string, at time.Time) (bool, error)
	// ActiveObjectHolds lists the holds active at at (not released, KeepUntil
	// unset or after at), oldest first: of objectType ("" for every type), and
	// of the given object ids when any are given.
	ActiveObjectHolds(ctx context.Context, at time.Time, objectType string, objectIDs ...string) ([]ObjectHold, error)
	// ObjectHoldsByRequest lists every hold an erasure recorded (its
	// exceptions), released or not, oldest first.
	ObjectHoldsByRequest(ctx context.Context, requestID string) ([]ObjectHold, error)
}

// RequestRecords removes the product's own request records at the end of
// their retention.
type RequestRecords interface {
	// PrunableRequests lists up to limit requests finished (completed, denied
	// or cancelled) before before (their CompletedAt, else UpdatedAt), oldest
	// first, leaving out any under an active legal hold on the request, with an
	// open recipient notice, with an object hold they recorded still active, or
	// with kept objects still to erase (a pending "_kept" step).
	PrunableRequests(ctx context.Context, before time.Time, limit int) ([]Request, error)
	// DeleteRequests deletes the requests and their steps, blobs, finished
	// recipient notices and released legal holds and object holds, and
	// returns how many rows of each it deleted.
	DeleteRequests(ctx context.Context, ids []string) (RequestPurgeCounts, error)
	// StepsByName lists up to limit steps of any request with this name and
	// state, ordered by request id (bookkeeping rows a periodic job works
	// through).
	StepsByName(ctx context.Context, name string, state StepState, limit int) ([]Step, error)
	// CountSuppressionsBefore counts the suppression entries created before before.
	CountSuppressionsBefore(ctx context.Context, before time.Time) (int64, error)
	// DeleteSuppressionsBefore deletes up to limit suppression entries created
	// before before, oldest first, and returns how many it deleted.
	DeleteSuppressionsBefore(ctx context.Context, before time.Time, limit int) (int64, error)
}

// RequestPurgeCounts says how many rows of each kind DeleteRequests deleted.
type RequestPurgeCounts struct {
	Requests    int64 `json:"requests"`
	Steps       int64 `json:"steps"`
	Blobs       int64 `json:"blobs"`
	Notices     int64 `json:"notices"`
	ObjectHolds int64 `json:"object_holds"`
	LegalHolds  int64 `json:"legal_holds"`
}
