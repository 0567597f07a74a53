package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// Every time the store returns is in UTC and truncated to the microsecond, the
// precision both backends keep (times are stored as Unix microseconds). A zero
// time.Time means "not set" and is stored as NULL.

// CachedContact is the minimal local copy of one Intercom contact. Every field
// that holds personal data is ciphertext made by the vault (suffix Enc) or a blind
// index (suffix Idx, a keyed HMAC of the normalised value); the store never sees
// the plaintext.
type CachedContact struct {
	// IntercomID is Intercom's contact id, the primary key.
	IntercomID string
	// PersonKeyID names the per-person data key the Enc fields are encrypted under.
	PersonKeyID string
	// Role is Intercom's role: "user" or "lead".
	Role          string
	ExternalIDEnc []byte
	ExternalIDIdx []byte
	EmailEnc      []byte
	EmailIdx      []byte
	NameEnc       []byte
	PhoneEnc      []byte
	PhoneIdx      []byte
	// AttributesEnc is the encrypted JSON of the allow-listed custom attributes.
	AttributesEnc []byte
	// LastSeenAt is Intercom's last_seen_at (not personal data on its own).
	LastSeenAt time.Time
	// RemoteUpdatedAt is Intercom's updated_at, the cursor of incremental sync.
	RemoteUpdatedAt time.Time
	// CreatedAt is when the local copy was first made; retention ages it from
	// here. Upsert keeps the first value. Set by the store when zero.
	CreatedAt time.Time
	// UpdatedAt is when the local copy last changed; set by the store.
	UpdatedAt time.Time
}

// IndexKind names a blind index column of CachedContact.
type IndexKind string

// The blind indexes FindContacts can search.
const (
	IndexEmail      IndexKind = "email"
	IndexPhone      IndexKind = "phone"
	IndexExternalID IndexKind = "external_id"
)

// SyncState is a named cursor of an incremental sync (for instance the highest
// Intercom updated_at seen by "sync contacts").
type SyncState struct {
	Name      string
	Cursor    string
	UpdatedAt time.Time
}

// CachedConversation is the local copy of one Intercom conversation.
type CachedConversation struct {
	// ID is Intercom's conversation id.
	ID string
	// ContactIDs are the Intercom contact ids taking part; the store indexes them
	// so a person's conversations can be listed and purged.
	ContactIDs  []string
	PersonKeyID string
	SubjectEnc  []byte
	// CreatedAt is when the local copy was first made (kept by upserts).
	CreatedAt       time.Time
	RemoteUpdatedAt time.Time
}

// CachedPart is one part (message, note, action) of a cached conversation. Parts
// are deleted with their conversation.
type CachedPart struct {
	ConversationID string
	PartID         string
	// AuthorType is Intercom's author.type: "user", "lead", "admin", "bot", "team".
	AuthorType string
	BodyEnc    []byte
	CreatedAt  time.Time
}

// WebhookEvent is one Intercom webhook notification as received, minimised:
// the payload is encrypted, and the contact it concerns is kept for purges.
type WebhookEvent struct {
	// NotificationID is Intercom's notification id; it is unique, so a
	// redelivered notification is recognised.
	NotificationID string
	Topic          string
	ContactID      string
	PayloadEnc     []byte
	PersonKeyID    string
	// ReceivedAt is set by the store when zero; it is also the row's creation time.
	ReceivedAt time.Time
	// ProcessedAt is zero until MarkWebhookProcessed.
	ProcessedAt time.Time
}

// BlobKind says what a blob is; it decides its retention category.
type BlobKind string

// The kinds of blob the store keeps.
const (
	BlobExportFile    BlobKind = "export_file"
	BlobAccessPackage BlobKind = "access_package"
)

// Blob describes one encrypted file kept in the store (an export file or an
// access package). The content is stored in chunks and read as a stream.
type Blob struct {
	// ID is set by PutBlob when empty ("blob_" + 128 random bits).
	ID          string
	Kind        BlobKind
	RequestID   string
	PersonKeyID string
	// Name is a file name without personal data (e.g. "access-package.zip").
	Name string
	// Size and SHA256 describe the stored ciphertext; PutBlob computes them.
	Size      int64
	SHA256    []byte
	CreatedAt time.Time
	// ExpiresAt is when the blob should no longer be served (zero: never).
	ExpiresAt time.Time
}

// RequestType is the kind of privacy request.
type RequestType string

// Request types.
const (
	RequestAccess        RequestType = "access"
	RequestErasure       RequestType = "erasure"
	RequestAccessErasure RequestType = "access+erasure"
	// RequestCorrection corrects the person's data in Intercom (GDPR Art. 16,
	// CCPA §1798.106); the new values are in PayloadEnc.
	RequestCorrection RequestType = "correction"
	// RequestRestriction restricts the processing of the person's data (GDPR
	// Art. 18): marked in Intercom and locally, left out of sync and exports.
	RequestRestriction RequestType = "restriction"
	// RequestLiftRestriction lifts a restriction (GDPR Art. 18(3)); it is linked
	// to the restriction it lifts.
	RequestLiftRestriction RequestType = "lift_restriction"
	// RequestObjection is an objection or opt-out (GDPR Art. 21, CCPA
	// §1798.120/121, marketing): unsubscribed and tagged in Intercom, recorded
	// here; its scope is in PayloadEnc.
	RequestObjection RequestType = "objection"
	// RequestAppeal appeals the answer to another request (the US state laws);
	// it is linked to that request and has the appeal clock.
	RequestAppeal RequestType = "appeal"
)

// Jurisdictions a request is handled under.
const (
	JurisdictionGDPR = "gdpr"
	JurisdictionCCPA = "ccpa"
)

// RequestState is where a privacy request is in its state machine:
// received → verified → in_progress → completed | denied | cancelled.
type RequestState string

// Request states.
const (
	StateReceived RequestState = "received"
	// StateAwaitingApproval: an erasure verified and waiting for a second
	// privacy officer (four eyes) before anything is deleted.
	StateAwaitingApproval RequestState = "awaiting_approval"
	StateVerified         RequestState = "verified"
	StateInProgress       RequestState = "in_progress"
	StateCompleted        RequestState = "completed"
	StateDenied           RequestState = "denied"
	StateCancelled        RequestState = "cancelled"
)

// Request is one privacy request (access, erasure or both).
type Request struct {
	// ID is set by CreateRequest when empty ("req_" + 128 random bits, hex).
	ID           string
	Type         RequestType
	Jurisdiction string
	// Channel says how the request was made (email, web form, API, ...).
	Channel string
	State   RequestState
	// IdentifiersEnc is the encrypted JSON of the identifiers given.
	IdentifiersEnc []byte
	// SubjectRef is the keyed HMAC of the person's normalised identifier.
	SubjectRef      string
	ReceivedAt      time.Time
	AckDueAt        time.Time
	DueAt           time.Time
	ExtendedDueAt   time.Time
	ExtensionReason string
	AcknowledgedAt  time.Time
	CompletedAt     time.Time
	DenialReason    string
	// Outcome is JSON without personal data (counts, ids); nil when unset.
	Outcome json.RawMessage
	// PayloadEnc is the encrypted JSON of what the request asks beyond the
	// identifiers (a correction's new values, an objection's scope); nil for
	// access and erasure.
	PayloadEnc []byte
	// LinkedRequestID is the request an appeal or a lift is about ("" when none).
	LinkedRequestID string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// FiledBy is the audit actor who filed the request ("user:<id>", "cli:<os
	// user>"); never an e-mail.
	FiledBy string
	// Approval is ApprovalRequired while an erasure waits for a second
	// person, ApprovalGiven once approved, "" when none is needed.
	Approval string
	// ApprovedBy is the audit actor who approved the erasure.
	ApprovedBy string
	// Assignee is the audit actor ("user:<id>") the request is assigned to.
	Assignee string
	// VerificationLevel is the degree of certainty the identity was verified
	// to (CCPA Regs §7062); "" before verification, and for requests verified
	// before the level was recorded (treated as VerificationHigh).
	VerificationLevel VerificationLevel
	// SubjectRefs are the keyed HMACs of every identifier the request was
	// filed with (search by identifier); written by CreateRequest, not read
	// back.
	SubjectRefs []string
}

// VerificationLevel is how certain the identity of a request's person is.
type VerificationLevel string

// Verification levels (CCPA Regs §7062).
const (
	// VerificationLow is a reasonable degree of certainty: the person followed
	// a link mailed to the address, which matches an Intercom contact. Enough
	// for a deletion and for the categories of data held, not for the data
	// itself under a law that tiers verification (§7024).
	VerificationLow VerificationLevel = "low"
	// VerificationHigh is a reasonably high degree: two data points matched,
	// or an operator's check by hand with a stated method.
	VerificationHigh VerificationLevel = "high"
)

// Values of Request.Approval.
const (
	ApprovalRequired = "required"
	ApprovalGiven    = "approved"
)

// RequestCursor is a position in the list of requests, ordered by
// (ReceivedAt, ID): ListRequests with RequestFilter.After returns the requests
// after it (keyset pagination, as River's JobListCursor). Encode it for a
// client; it is opaque to them.
type RequestCursor struct {
	ReceivedAt time.Time `json:"r"`
	ID         string    `json:"i"`
}

// CursorAfter returns the cursor of r: the next page starts after it.
func CursorAfter(r Request) RequestCursor { return RequestCursor{ReceivedAt: r.ReceivedAt, ID: r.ID} }

// Encode returns the cursor as an opaque URL-safe string.
func (c RequestCursor) Encode() string {
	b, _ := json.Marshal(struct {
		R int64  `json:"r"`
		I string `json:"i"`
	}{c.ReceivedAt.UnixMicro(), c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseRequestCursor decodes a cursor made by Encode; anything else is
// ErrInvalid.
func ParseRequestCursor(s string) (RequestCursor, error) {
	bad := fmt.Errorf("%w: the cursor is not one this server gave (pass back the next_cursor of the previous page unchanged)", ErrInvalid)
	if len(s) > 200 {
		return RequestCursor{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return RequestCursor{}, bad
	}
	var v struct {
		R *int64  `json:"r"`
		I *string `json:"i"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil || v.R == nil || v.I == nil || *v.R < 0 || !validCursorID(*v.I) {
		return RequestCursor{}, bad
	}
	return RequestCursor{ReceivedAt: time.UnixMicro(*v.R).UTC(), ID: *v.I}, nil
}

func validCursorID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// RequestNote is a note on a request. Its text may name the person, so it is
// stored encrypted (BodyEnc, under the request's key); the audit record of a
// note carries its id only.
type RequestNote struct {
	// ID is set by AddRequestNote when empty ("note_" + random hex).
	ID        string
	RequestID string
	// Author is the audit actor who wrote it.
	Author    string
	BodyEnc   []byte
	CreatedAt time.Time
}

// RequestStat is one group of the yearly requests report, counted by the
// database: the requests of one type, law, state and denial reason answered
// in the same tenth of a day after receipt (Tenths -1: not answered).
type RequestStat struct {
	Type         RequestType
	Jurisdiction string
	State        RequestState
	DenialReason string
	// Tenths is floor((CompletedAt - ReceivedAt) / 0.1 day), or -1 when the
	// request has no CompletedAt.
	Tenths int64
	Count  int64
	// Micros is the sum of CompletedAt - ReceivedAt over the group, in
	// microseconds (0 when not answered): the exact mean.
	Micros int64
}

// IdempotentResponse is the first answer to a creating API call, kept under the
// caller's Idempotency-Key so that a retry gets it again instead of creating a
// second object.
type IdempotentResponse struct {
	// Scope separates callers (the user id) and routes; Key is the header.
	Scope, Key string
	// Fingerprint identifies the call (method, path, body digest): the same key
	// with another call is refused.
	Fingerprint string
	Status      int
	Response    []byte
	CreatedAt   time.Time
}

// RequestFilter selects requests for ListRequests; its zero value selects all.
type RequestFilter struct {
	// States, when non-empty, keeps requests in one of these states.
	States []RequestState
	// DueBefore, when set, keeps requests whose effective due date (the extended
	// one if set, else DueAt) is before it.
	DueBefore time.Time
	// DueFrom, when set, keeps requests whose effective due date is at or
	// after it. With DueBefore it is a window of due dates (the dashboard's
	// "due within 7 days": DueFrom now, DueBefore a week on), which the due
	// date index reads as a range whatever the number of overdue requests.
	DueFrom time.Time
	// SubjectRef, when set, keeps the requests of this person (the keyed HMAC of
	// their primary identifier, a blind index: no plain identifier is needed).
	SubjectRef string
	// Types, when non-empty, keeps requests of one of these types.
	Types []RequestType
	// LinkedTo, when set, keeps the requests linked to this request (its appeals,
	// the lifts of a restriction).
	LinkedTo string
	// Jurisdictions, when non-empty, keeps requests under one of these laws.
	Jurisdictions []string
	// OverdueAt, when set, keeps the open requests (received, awaiting
	// approval, verified, in progress) whose effective due date is before it:
	// pass now for "overdue".
	OverdueAt time.Time
	// Assignee, when set, keeps the requests assigned to this actor;
	// Unassigned keeps those assigned to nobody.
	Assignee   string
	Unassigned bool
	// IdentifierRef, when set, keeps the requests filed with an identifier
	// whose keyed HMAC (vault.SubjectRef) this is: search by e-mail, phone,
	// external id or contact id with no plain value stored.
	IdentifierRef string
	// ReceivedFrom and ReceivedBefore, when set, keep the requests received
	// in [ReceivedFrom, ReceivedBefore) (a year of the metrics report).
	ReceivedFrom, ReceivedBefore time.Time
	// After, when set, keeps the requests after this cursor (the next page).
	After *RequestCursor
	// Limit caps the result (0: 1000). Results are ordered by ReceivedAt, ID.
	Limit int
}

// StepState is the state of one step of a request.
type StepState string

// Step states.
const (
	StepPending StepState = "pending"
	StepDone    StepState = "done"
	StepFailed  StepState = "failed"
	StepSkipped StepState = "skipped"
)

// Step is one step of a request's workflow (resolve, collect, delete, ...).
type Step struct {
	RequestID string
	Name      string
	State     StepState
	Attempts  int
	// Detail is JSON without personal data; nil when unset.
	Detail     json.RawMessage
	StartedAt  time.Time
	FinishedAt time.Time
}

// RequestAtStep is a request with one of its steps.
type RequestAtStep struct {
	Request Request
	Step    Step
}

// Suppression is one entry of the suppression list: a person erased who must not
// come back through sync or webhooks.
type Suppression struct {
	// Ref is a keyed HMAC of a normalised identifier, made by the vault.
	Ref []byte
	// Kind is the identifier kind (email, phone, external_id, contact_id).
	Kind      string
	CreatedAt time.Time
}

// LegalHold stops retention from deleting a person's or a request's data.
// Exactly one of SubjectRef (matched against PersonKeyID columns) and RequestID
// is set.
type LegalHold struct {
	// ID is set by AddLegalHold when empty ("hold_" + 128 random bits).
	ID         string
	SubjectRef string
	RequestID  string
	// Reason must not contain personal data.
	Reason string
	// Basis is the jurisdiction.Basis code the hold is placed on (empty when
	// none was given), which the person is told when it stops their erasure.
	Basis      string
	CreatedAt  time.Time
	ReleasedAt time.Time
}

// RetentionRun records one run of the retention policy.
type RetentionRun struct {
	// ID is set by InsertRetentionRun when empty ("ret_" + 128 random bits).
	ID         string
	StartedAt  time.Time
	FinishedAt time.Time
	DryRun     bool
	// State is free text chosen by the retention workflow ("running", "done", "failed").
	State string
	// Counts maps a category to the rows deleted (or, on a dry run, that would be).
	Counts map[string]int64
}

// ExportJob is one Intercom content Data Export job, recorded so that a restart
// resumes polling the same job.
type ExportJob struct {
	// JobIdentifier is Intercom's job_identifier.
	JobIdentifier string
	Since, Until  time.Time
	// State is Intercom's status ("pending", "in_progress", "completed", ...) or
	// the workflow's own ("downloaded", "cancelled", "failed").
	State       string
	DownloadURL string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Outcome is JSON without personal data; nil when unset.
	Outcome json.RawMessage
}

// Category is a retention category: a kind of stored data with its own maximum age.
type Category string

// The categories DeleteExpired and CountExpired understand. Audit records are not
// a category: nothing in the store deletes them.
const (
	CategoryContactCache      Category = "contact_cache"
	CategoryConversationCache Category = "conversation_cache"
	CategoryWebhookEvents     Category = "webhook_events"
	CategoryExportFiles       Category = "export_files"
	CategoryAccessPackages    Category = "access_packages"
)

// Categories lists every retention category, for validation and display.
func Categories() []Category {
	return []Category{CategoryContactCache, CategoryConversationCache, CategoryWebhookEvents,
		CategoryExportFiles, CategoryAccessPackages}
}

// PurgeTarget names a person's data to purge: by per-person key id and by
// Intercom contact id (either may be empty, not both).
//
// By key id: cached contacts, conversations, webhook events and blobs carrying
// the key, plus the conversations and events of the contacts found. By contact
// id: that contact, its conversations (all conversations it takes part in) and
// its webhook events. Blobs carry no contact id, so only key ids reach them:
// erasure passes both.
type PurgeTarget struct {
	PersonKeyIDs []string
	ContactIDs   []string
}

// PurgeCounts says how many rows of each kind PurgePerson deleted.
type PurgeCounts struct {
	Contacts      int64 `json:"contacts"`
	Conversations int64 `json:"conversations"`
	Parts         int64 `json:"parts"`
	WebhookEvents int64 `json:"webhook_events"`
	Blobs         int64 `json:"blobs"`
}

// Total is the sum of all counts.
func (c PurgeCounts) Total() int64 {
	return c.Contacts + c.Conversations + c.Parts + c.WebhookEvents + c.Blobs
}

// LimitKind is the kind of a processing limit.
type LimitKind string

// The processing limits a person can ask for.
const (
	// LimitRestriction: GDPR Art. 18; the copy is frozen, the person left out
	// of sync, webhooks and exports.
	LimitRestriction LimitKind = "restriction"
	// LimitObjection: GDPR Art. 21 objection or a CCPA opt-out (sale, sharing,
	// sensitive data, marketing); the person is left out of marketing exports.
	LimitObjection LimitKind = "objection"
)

// ProcessingLimit is one blind index of one of a person's identifiers (or of an
// Intercom contact id) under a restriction or an objection made by a request.
// It holds no plain value.
type ProcessingLimit struct {
	Kind LimitKind
	// Ref is the keyed HMAC of the normalised identifier, made by the vault.
	Ref []byte
	// RefKind is the identifier kind (email, phone, external_id, contact_id).
	RefKind    string
	RequestID  string
	SubjectRef string
	// Scope is what an objection covers, comma-separated (marketing,
	// sale_sharing, sensitive, profiling); "" for a restriction.
	Scope     string
	CreatedAt time.Time
	// LiftedAt is zero while the limit holds.
	LiftedAt time.Time
	// LiftedBy is the request that lifted it.
	LiftedBy string
}

// Active reports whether the limit still holds.
func (l ProcessingLimit) Active() bool { return l.LiftedAt.IsZero() }
