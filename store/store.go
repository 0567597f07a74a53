// Package store is the durable storage of intercom-privacy: cached Intercom data
// (encrypted), privacy requests and their steps, webhook events, export files and
// access packages, the suppression list, legal holds, retention runs, the vault's
// keys and the audit chain.
//
// The package defines the interfaces (Store, Tx, Ops), the domain records and the
// errors; the backends live in store/sqlite (the embedded default) and
// store/postgres (for teams and several workers). A backend registers itself when
// its package is imported, and Open picks one by the URL's scheme:
//
//	import (
//		"github.com/intercom-privacy/intercom-privacy/store"
//		_ "github.com/intercom-privacy/intercom-privacy/store/postgres"
//		_ "github.com/intercom-privacy/intercom-privacy/store/sqlite"
//	)
//
//	st, err := store.Open(ctx, os.Getenv("DATABASE_URL"))
//
// Both backends pass the one shared suite in store/storetest.
//
// The store holds ciphertext and blind indexes as opaque bytes made by the vault;
// it never sees personal data in clear, and its errors never contain a stored value.
package store

import (
	"context"
	"io"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// DefaultURL is the database used when DATABASE_URL is not set: a SQLite file
// in the working directory.
const DefaultURL = "sqlite://intercom-privacy.db"

// Ops are the operations available both on a Store (each call in its own
// transaction) and inside a Tx (all calls commit or roll back together). They
// are grouped in small interfaces so that a caller can ask for only what it
// uses (a webhook receiver needs WebhookEvents, not Requests).
//
// Methods that find nothing return an error matching ErrNotFound (and, for the
// vault.KeyStore methods, vault.ErrNotFound).
type Ops interface {
	vault.KeyStore
	vault.PersonKeyBatchUpdater
	Contacts
	Conversations
	WebhookEvents
	Blobs
	Requests
	Suppressions
	LegalHolds
	ObjectHolds
	RequestRecords
	RetentionRuns
	ExportJobs
	Retention
	Purger
	Notices
	Outbox
	IntercomReplies
	RateWindows
	Intakes
	DownloadLinks
	AgentPermissions
	StepUps
	Limits
	Users
	Sessions
	APITokens
	SignInThrottle
}

// Contacts is the cache of Intercom contacts and the sync cursors.
type Contacts interface {
	// UpsertContact inserts or replaces a cached contact (keyed by IntercomID);
	// CreatedAt keeps its first value.
	UpsertContact(ctx context.Context, c CachedContact) error
	// GetContact returns the cached contact with this Intercom id.
	GetContact(ctx context.Context, intercomID string) (CachedContact, error)
	// FindContacts returns the cached contacts whose blind index of this kind
	// equals idx (several contacts may share an email).
	FindContacts(ctx context.Context, kind IndexKind, idx []byte) ([]CachedContact, error)
	// DeleteContact deletes one cached contact; it reports whether one existed.
	DeleteContact(ctx context.Context, intercomID string) (bool, error)
	// GetSyncState returns the named sync cursor.
	GetSyncState(ctx context.Context, name string) (SyncState, error)
	// PutSyncState inserts or replaces the named sync cursor.
	PutSyncState(ctx context.Context, s SyncState) error
}

// Conversations is the cache of Intercom conversations and their parts.
type Conversations interface {
	// UpsertConversation inserts or replaces a cached conversation and its
	// contact links.
	UpsertConversation(ctx context.Context, c CachedConversation) error
	// UpsertPart inserts or replaces one part; its conversation must exist.
	UpsertPart(ctx context.Context, p CachedPart) error
	// ConversationsByContact lists the cached conversations a contact takes part
	// in, ordered by ID.
	ConversationsByContact(ctx context.Context, contactID string) ([]CachedConversation, error)
	// Parts lists the parts of a conversation, ordered by CreatedAt, PartID.
	Parts(ctx context.Context, conversationID string) ([]CachedPart, error)
	// DeleteConversationsByContact deletes the conversations a contact takes part
	// in, with their parts, and returns how many of each it deleted.
	DeleteConversationsByContact(ctx context.Context, contactID string) (conversations, parts int64, err error)
}

// WebhookEvents keeps received webhook notifications, de-duplicated.
type WebhookEvents interface {
	// InsertWebhookEvent stores an event unless one with the same NotificationID
	// exists; inserted is false for such a duplicate (no error, no second row).
	InsertWebhookEvent(ctx context.Context, e WebhookEvent) (inserted bool, err error)
	// MarkWebhookProcessed sets ProcessedAt of an event.
	MarkWebhookProcessed(ctx context.Context, notificationID string, at time.Time) error
	// UnprocessedWebhookEvents lists up to limit events not yet processed, oldest first.
	UnprocessedWebhookEvents(ctx context.Context, limit int) ([]WebhookEvent, error)
	// DeleteWebhookEventsByContact deletes the events of a contact.
	DeleteWebhookEventsByContact(ctx context.Context, contactID string) (int64, error)
}

// Blobs keeps encrypted files (export files, access packages) in chunks.
type Blobs interface {
	// PutBlob stores the ciphertext read from r in chunks (so that a large file
	// never becomes one giant parameter) and returns b with ID, Size, SHA256 and
	// CreatedAt filled in. If its own transaction must run again (see InTx),
	// an io.Seeker r is read again from where it stood; another r fails then.
	PutBlob(ctx context.Context, b Blob, r io.Reader) (Blob, error)
	// GetBlob returns a blob's description.
	GetBlob(ctx context.Context, id string) (Blob, error)
	// OpenBlob streams a blob's content, one chunk in memory at a time; the reader
	// checks the SHA-256 at the end and fails with ErrCorrupt on a mismatch.
	OpenBlob(ctx context.Context, id string) (io.ReadCloser, error)
	// BlobsByRequest lists the blobs of a request, ordered by CreatedAt, ID.
	BlobsByRequest(ctx context.Context, requestID string) ([]Blob, error)
	// DeleteBlob deletes a blob and its content; it reports whether one existed.
	DeleteBlob(ctx context.Context, id string) (bool, error)
}

// Requests keeps privacy requests and their steps.
type Requests interface {
	// CreateRequest inserts a new request (ID generated when empty, State
	// "received" when empty) and returns it as stored. A duplicate ID fails with
	// ErrDuplicate.
	CreateRequest(ctx context.Context, r Request) (Request, error)
	// GetRequest returns one request.
	GetRequest(ctx context.Context, id string) (Request, error)
	// ListRequests lists requests matching f.
	ListRequests(ctx context.Context, f RequestFilter) ([]Request, error)
	// CountRequestsByState counts the requests in each state (a state with
	// none is absent), for the console's dashboard and the server's gauges:
	// counters kept in the transaction of every insert, move and delete of a
	// request, so the cost does not grow with the number of requests.
	CountRequestsByState(ctx context.Context) (map[RequestState]int64, error)
	// PendingStepRequests lists the requests in one of states (any state
	// when none is given) that have a pending step named step, each with that
	// step, in list order (ReceivedAt, ID), at most limit (1,000 when 0):
	// one query, for the dashboard's paused requests.
	PendingStepRequests(ctx context.Context, step string, states []RequestState, limit int) ([]RequestAtStep, error)
	// UpdateRequest replaces the mutable fields of r (all but ID, Type,
	// Jurisdiction, Channel, ReceivedAt, CreatedAt) if the stored state is still
	// expected; otherwise it fails with a *StateConflictError (ErrStateConflict).
	UpdateRequest(ctx context.Context, r Request, expected RequestState) (Request, error)
	// UpsertStep inserts or replaces the step (RequestID, Name).
	UpsertStep(ctx context.Context, s Step) error
	// Steps lists a request's steps in the order they were first recorded.
	Steps(ctx context.Context, requestID string) ([]Step, error)
	// AddRequestNote stores a note (ID and CreatedAt set when empty) and
	// returns it. A request that does not exist is ErrNotFound.
	AddRequestNote(ctx context.Context, n RequestNote) (RequestNote, error)
	// CountRequests counts the requests in each of states (a state with none
	// is absent from the map).
	CountRequests(ctx context.Context, states ...RequestState) (map[RequestState]int64, error)
	// RequestStats counts the requests received in [from, to) by type, law,
	// state, denial reason and tenth of a day to the answer, in the database
	// (one indexed range scan, no row leaves it), for the yearly report.
	RequestStats(ctx context.Context, from, to time.Time) ([]RequestStat, error)
	// RequestNotes lists a request's notes, oldest first.
	RequestNotes(ctx context.Context, requestID string) ([]RequestNote, error)
	// RequestAudit lists the audit records of one request, in chain order
	// (its timeline).
	RequestAudit(ctx context.Context, requestID string) ([]audit.StoredRecord, error)
	// PutIdempotent keeps the first answer under (Scope, Key); if one is
	// already there it is returned with stored true and nothing is written.
	PutIdempotent(ctx context.Context, r IdempotentResponse) (first IdempotentResponse, stored bool, err error)
	// GetIdempotent returns the answer kept under (scope, key), or ErrNotFound.
	GetIdempotent(ctx context.Context, scope, key string) (IdempotentResponse, error)
}

// Suppressions is the list of erased people who must not come back.
type Suppressions interface {
	// AddSuppression adds an entry; added is false if the Ref was already there.
	AddSuppression(ctx context.Context, s Suppression) (added bool, err error)
	// Suppressed reports whether any of refs is on the suppression list.
	Suppressed(ctx context.Context, refs ...[]byte) (bool, error)
}

// Limits keeps the processing limits (restrictions, objections) of people, by
// blind index.
type Limits interface {
	// AddLimits inserts the limits not there yet (one per Kind, Ref and
	// RequestID; CreatedAt set to now when zero) and returns how many it added.
	AddLimits(ctx context.Context, ls []ProcessingLimit) (int, error)
	// Limited reports whether any of refs is under an active limit of kind.
	Limited(ctx context.Context, kind LimitKind, refs ...[]byte) (bool, error)
	// ActiveLimits lists the active limits matching any of refs, or whose
	// SubjectRef is subjectRef (when not ""), ordered by CreatedAt, RequestID.
	ActiveLimits(ctx context.Context, subjectRef string, refs ...[]byte) ([]ProcessingLimit, error)
	// ActiveLimitRefs returns the refs under any active limit (for a filter
	// that checks many values, such as an export's rows).
	ActiveLimitRefs(ctx context.Context) ([][]byte, error)
	// LiftLimits ends the active limits of kind made by request requestID
	// (LiftedAt at, LiftedBy liftedBy) and returns how many it ended.
	LiftLimits(ctx context.Context, kind LimitKind, requestID, liftedBy string, at time.Time) (int64, error)
}

// LegalHolds keeps the holds that stop retention from deleting data.
type LegalHolds interface {
	// AddLegalHold records a hold and returns it with ID and CreatedAt set.
	AddLegalHold(ctx context.Context, h LegalHold) (LegalHold, error)
	// ReleaseLegalHold ends a hold; it reports whether an active hold was released.
	ReleaseLegalHold(ctx context.Context, id string, at time.Time) (bool, error)
	// ActiveLegalHolds lists the holds not released, oldest first.
	ActiveLegalHolds(ctx context.Context) ([]LegalHold, error)
}

// RetentionRuns records the runs of the retention policy.
type RetentionRuns interface {
	// InsertRetentionRun records the start of a run and returns it with ID set.
	InsertRetentionRun(ctx context.Context, r RetentionRun) (RetentionRun, error)
	// UpdateRetentionRun replaces FinishedAt, State and Counts of a run.
	UpdateRetentionRun(ctx context.Context, r RetentionRun) error
	// RecentRetentionRuns lists up to limit runs, newest first.
	RecentRetentionRuns(ctx context.Context, limit int) ([]RetentionRun, error)
}

// ExportJobs records Intercom Data Export jobs so a restart resumes them.
type ExportJobs interface {
	// PutExportJob inserts or replaces an export job (CreatedAt kept).
	PutExportJob(ctx context.Context, j ExportJob) error
	// GetExportJob returns one export job.
	GetExportJob(ctx context.Context, jobIdentifier string) (ExportJob, error)
	// ExportJobs lists export jobs in one of states (all when none), oldest first.
	ExportJobs(ctx context.Context, states ...string) ([]ExportJob, error)
}

// Retention counts what the retention policy would delete.
type Retention interface {
	// CountExpired counts the rows of a category created before before that
	// DeleteExpired would delete (legal holds honoured).
	CountExpired(ctx context.Context, category Category, before time.Time) (int64, error)
}

// Purger deletes everything cached about one person (erasure).
type Purger interface {
	// PurgePerson deletes everything cached about a person: cached contacts,
	// their conversations and parts, webhook events and blobs (packages), found by
	// person key id or contact id. On a Store it runs in one transaction; inside a
	// Tx it commits with the erasure's audit record.
	PurgePerson(ctx context.Context, t PurgeTarget) (PurgeCounts, error)
}

// Tx is a short read-write transaction: its Ops and the audit chain operations
// commit or roll back together. A Tx must not be used after the function given
// to InTx returns, nor from several goroutines at once, and the function must not
// wait on the network while holding it.
type Tx interface {
	Ops
	audit.Tx
	// RecordHash and DeletePruned serve audit.Chain.Prune, the only way
	// audit records are removed.
	audit.PruneTx
}

// Store is an open database. It is safe for concurrent use.
type Store interface {
	Ops
	audit.Reader
	audit.HeadReader
	audit.CheckpointsAfterReader

	// InTx runs fn in a read-write transaction and commits if fn returns nil.
	// On PostgreSQL a serialization failure or deadlock re-runs fn (a bounded
	// number of times), so fn must have no effect outside the transaction.
	InTx(ctx context.Context, fn func(Tx) error) error

	// DeleteExpired deletes at most limit rows of category created before
	// before, skipping rows under an active legal hold, in its own short
	// transaction, and returns how many it deleted. Callers loop until it returns
	// fewer than limit.
	DeleteExpired(ctx context.Context, category Category, before time.Time, limit int) (int64, error)

	// SchemaVersion returns the highest migration applied (0 for an empty database).
	SchemaVersion(ctx context.Context) (int, error)
	// LatestVersion is the highest migration this binary knows: a SchemaVersion
	// below it means migrations are pending.
	LatestVersion() int
	// Migrate applies the migrations not yet applied, each in its own transaction,
	// and returns the version before and after.
	Migrate(ctx context.Context) (before, after int, err error)

	// Backend names the backend: "sqlite" or "postgres".
	Backend() string
	// Close releases the database.
	Close() error
}
