package store

import (
	"context"
	"time"
)

// Scans keeps the workspace scan (package scan): its runs and checkpoints, the
// version of every conversation scanned, the findings as references (never a
// value), and every redaction of a conversation part in Intercom. Both built-in
// backends implement it, on a Store and inside a Tx; it is a separate interface so
// that other Store implementations need not provide it.
type Scans interface {
	// CreateScanRun inserts a run (ID required, State ScanRunning when empty).
	CreateScanRun(ctx context.Context, r ScanRun) error
	// UpdateScanRun replaces the mutable fields of a run: FinishedAt, HeartbeatAt,
	// State and the counters.
	UpdateScanRun(ctx context.Context, r ScanRun) error
	// LatestScanRun returns the run started last among those in one of states
	// (any state when none).
	LatestScanRun(ctx context.Context, states ...ScanRunState) (ScanRun, error)
	// ScannedConversation returns what is recorded about one conversation.
	ScannedConversation(ctx context.Context, conversationID string) (ScannedConversation, error)
	// PutScannedConversation records a conversation as scanned at c.UpdatedAt and
	// replaces all its findings with fs (every finding must name the conversation).
	PutScannedConversation(ctx context.Context, c ScannedConversation, fs []ScanFinding) error
	// PutPartFindings replaces the findings of one part (a message that arrived by
	// webhook) without touching the conversation's other parts.
	PutPartFindings(ctx context.Context, conversationID, partID string, fs []ScanFinding) error
	// ScanFindings lists the findings of one conversation (or "ticket:<id>"),
	// by part and sequence.
	ScanFindings(ctx context.Context, conversationID string) ([]ScanFinding, error)
	// ScanCounts groups the findings by by and type.
	ScanCounts(ctx context.Context, by ScanGroup) ([]ScanCount, error)
	// TopScanConversations lists up to limit conversations by number of findings,
	// most first (ties by id).
	TopScanConversations(ctx context.Context, limit int) ([]ScanConversationCount, error)
	// ScanCoverage says how much was scanned and what could not be.
	ScanCoverage(ctx context.Context) (ScanCoverage, error)
	// RedactionTargets lists the parts holding a finding of one of types (and,
	// when authorRoles is not empty, written by one of those roles) with no final
	// redaction state, ordered by conversation and part.
	RedactionTargets(ctx context.Context, types, authorRoles []string) ([]Redaction, error)
	// QueueRedaction inserts r (state RedactionQueued) unless the part has a
	// redaction already; inserted reports which.
	QueueRedaction(ctx context.Context, r Redaction) (inserted bool, err error)
	// GetRedaction returns the redaction of one part.
	GetRedaction(ctx context.Context, conversationID, partID string) (Redaction, error)
	// PutRedaction replaces the state, reason, attempts, times and note state of
	// an existing redaction.
	PutRedaction(ctx context.Context, r Redaction) error
	// Redactions lists up to limit redactions in one of states (all when none),
	// oldest queued first.
	Redactions(ctx context.Context, limit int, states ...RedactionState) ([]Redaction, error)
	// RedactionsWithOpenNotes lists up to limit redactions that are done and
	// whose internal note is still wanted or intended, oldest queued first.
	RedactionsWithOpenNotes(ctx context.Context, limit int) ([]Redaction, error)
	// RedactionCounts counts the redactions by state.
	RedactionCounts(ctx context.Context) (map[RedactionState]int64, error)
	// InsertScanNotification records a webhook notification the scan handled,
	// unless its id was recorded before (inserted false).
	InsertScanNotification(ctx context.Context, notificationID, topic, conversationID string, at time.Time) (inserted bool, err error)

	// AcquireScanLease takes the lease name for holder until now+ttl, unless
	// another holder's lease is live (its ExpiresAt after now); holder's own lease
	// is renewed. It returns the lease as it stands after the call: the caller
	// holds it when its Holder is holder. Two calls at once never both take it.
	AcquireScanLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (ScanLease, error)
	// RenewScanLease extends holder's lease to now+ttl; ErrNotFound when holder
	// no longer holds it (it expired and another holder took it).
	RenewScanLease(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) error
	// ReleaseScanLease gives holder's lease up (nothing when holder does not
	// hold it).
	ReleaseScanLease(ctx context.Context, name, holder string) error
	// GetScanLease returns the lease name (ErrNotFound when nobody took it or it
	// was released).
	GetScanLease(ctx context.Context, name string) (ScanLease, error)

	// ClaimRedaction gives the sending of one part's redaction to holder until
	// until, unless another holder's claim runs past now; it reports whether
	// holder has it. Two calls at once never both get it.
	ClaimRedaction(ctx context.Context, conversationID, partID, holder string, now, until time.Time) (bool, error)

	// ProposeRedaction inserts r awaiting approval (Approval ApprovalProposed,
	// state RedactionQueued) unless the part has a redaction already; inserted
	// reports which.
	ProposeRedaction(ctx context.Context, r Redaction) (inserted bool, err error)
	// DecideRedaction records the approval or rejection of a proposed redaction
	// by actor; ErrStateConflict when it is not awaiting a decision.
	DecideRedaction(ctx context.Context, conversationID, partID string, approval Approval, actor string, at time.Time) error
	// RedactionsAwaiting lists up to limit redactions with the given approval,
	// oldest queued first.
	RedactionsAwaiting(ctx context.Context, approval Approval, limit int) ([]Redaction, error)
}

// ScanLease is who may run one kind of scan work, and until when.
type ScanLease struct {
	Name, Holder                       string
	AcquiredAt, HeartbeatAt, ExpiresAt time.Time
}

// Approval is where a redaction stands with the console's approval rule.
type Approval string

// Approvals. A redaction with ApprovalNone (queued by `scan redact` from the
// command line, or by the continuous mode) needs none.
const (
	ApprovalNone     Approval = ""
	ApprovalProposed Approval = "proposed"
	ApprovalApproved Approval = "approved"
	ApprovalRejected Approval = "rejected"
)

// ScanRunState is the state of a scan run.
type ScanRunState string

// Scan run states.
const (
	ScanRunning ScanRunState = "running"
	ScanDone    ScanRunState = "done"
	ScanFailed  ScanRunState = "failed"
)

// ScanRun is one walk over the workspace's conversations updated in
// [WindowFrom, WindowTo]. A run that was killed stays ScanRunning; the next run
// resumes it (the conversations it scanned are skipped by their version).
type ScanRun struct {
	ID                                string
	StartedAt, FinishedAt             time.Time
	HeartbeatAt                       time.Time
	State                             ScanRunState
	WindowFrom, WindowTo              time.Time
	Types                             string // comma-separated type tags, "" for all
	Total, Scanned, Unchanged, Failed int64
}

// ScanStatus says how a conversation's scan ended.
type ScanStatus string

// Conversation scan statuses.
const (
	ScanStatusScanned ScanStatus = "scanned"
	ScanStatusFailed  ScanStatus = "failed"
)

// ScannedConversation is what is recorded about a scanned conversation.
type ScannedConversation struct {
	ConversationID string
	// UpdatedAt is the conversation's updated_at when it was scanned: the version.
	UpdatedAt, ScannedAt time.Time
	RunID                string
	// Inbox is the team inbox (team assignee id), "" when unassigned.
	Inbox string
	// PartsTotal is how many parts Intercom says the conversation has;
	// PartsScanned how many were returned and scanned (Intercom returns at most
	// the 500 most recent).
	PartsTotal, PartsScanned int64
	// AttachmentOnly counts parts with attachments and no text.
	AttachmentOnly int64
	Status         ScanStatus
	// ErrorClass names why a failed conversation could not be scanned (an error
	// class, never a value).
	ErrorClass string
}

// ScanFinding is one finding in one part, as a reference: where, by whom, what
// kind, how sure, which validator; never the value.
type ScanFinding struct {
	ConversationID, PartID string
	// Seq numbers the findings of a part from 0.
	Seq int
	// PartKind is "source" (the opening message) or "part".
	PartKind string
	// AuthorRole is "customer", "teammate" or "bot".
	AuthorRole string
	// Type is the PII engine's type tag ("CARD", "PASSWORD", ...).
	Type string
	// Confidence is in [0,1], stored to the thousandth.
	Confidence float64
	Validator  string
	// Field is where in the part: "body", "subject" or "attachment_name".
	Field         string
	PartCreatedAt time.Time
	// Month is PartCreatedAt as "2006-01" (UTC); Inbox the team inbox.
	Month, Inbox string
}

// ScanGroup is a grouping of ScanCounts.
type ScanGroup string

// Groupings.
const (
	ByType       ScanGroup = "type"
	ByMonth      ScanGroup = "month"
	ByInbox      ScanGroup = "inbox"
	ByAuthorRole ScanGroup = "author_role"
)

// ScanCount is one group of findings.
type ScanCount struct {
	// Key is the group's value (empty for ByType).
	Key, Type                      string
	Findings, Parts, Conversations int64
}

// ScanConversationCount is one conversation's number of findings.
type ScanConversationCount struct {
	ConversationID string
	Findings       int64
	// Types are the distinct type tags found, sorted.
	Types []string
}

// ScanCoverage says how much of the workspace was scanned and what could not be.
type ScanCoverage struct {
	// Conversations and Failed count conversations; Tickets the tickets whose
	// attributes were scanned (recorded under "ticket:<id>"), with
	// TicketAttributeFindings findings, which no redaction request can remove.
	Conversations, Failed            int64
	Tickets, TicketAttributeFindings int64
	// Truncated counts conversations with more parts than Intercom returns; their
	// older parts were not scanned (PartsNotScanned of them).
	Truncated, PartsNotScanned   int64
	PartsScanned, AttachmentOnly int64
}

// RedactionState is where a part's redaction stands.
type RedactionState string

// Redaction states. Queued and Intended are open; the others are final except
// Failed, which a later run tries again.
const (
	// RedactionQueued: chosen for redaction, no request sent yet.
	RedactionQueued RedactionState = "queued"
	// RedactionIntended: recorded just before the request is sent; a run that
	// finds it sends again (a second redaction answers 400, counted as done).
	RedactionIntended RedactionState = "intended"
	// RedactionDone: Intercom redacted the part.
	RedactionDone RedactionState = "done"
	// RedactionAlready: Intercom said the part was redacted before.
	RedactionAlready RedactionState = "already_redacted"
	// RedactionNotRedactable: Intercom refused (conversation_part_not_redactable).
	RedactionNotRedactable RedactionState = "not_redactable"
	// RedactionGone: the conversation or part no longer exists.
	RedactionGone RedactionState = "gone"
	// RedactionFailed: Intercom certainly did not act (for example 403 for a
	// missing scope); a later run tries again.
	RedactionFailed RedactionState = "failed"
)

// Final reports whether nothing more will be sent for the part.
func (s RedactionState) Final() bool {
	switch s {
	case RedactionDone, RedactionAlready, RedactionNotRedactable, RedactionGone:
		return true
	}
	return false
}

// Redaction is the redaction of one part (or the source) of a conversation.
type Redaction struct {
	ConversationID, PartID string
	// PartKind is "source" or "part".
	PartKind, AuthorRole string
	// Types are the finding types that chose the part, comma-separated.
	Types string
	// Origin is "scan" or "webhook".
	Origin   string
	State    RedactionState
	Reason   string
	Attempts int
	// MessageCreatedAt is the part's created_at (for the delay metric).
	MessageCreatedAt                 time.Time
	QueuedAt, IntendedAt, FinishedAt time.Time
	// NoteState is "" (no note wanted), "wanted", "intended", "posted",
	// "unknown" or "failed".
	NoteState string
	// Approval is ApprovalNone unless the redaction was proposed for approval;
	// ProposedBy and DecidedBy are actors (user:<id>), never names.
	Approval              Approval
	ProposedBy, DecidedBy string
	DecidedAt             time.Time
}
