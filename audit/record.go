package audit

import (
	"slices"
	"time"
)

// Action is what an audit record reports. The set is closed: Validate refuses
// any other value. Add a constant (and list it in actions) to extend it.
type Action string

// The actions. The prefix names the area (request, erasure, access, ...).
const (
	ActionRequestReceived     Action = "request.received"
	ActionRequestAcknowledged Action = "request.acknowledged"
	ActionRequestVerified     Action = "request.verified"
	ActionRequestStep         Action = "request.step"
	ActionRequestCompleted    Action = "request.completed"
	ActionRequestDenied       Action = "request.denied"
	ActionRequestCancelled    Action = "request.cancelled"
	ActionRequestExtended     Action = "request.extended"
	ActionRequestPaused       Action = "request.paused"
	ActionRequestResumed      Action = "request.resumed"
	ActionRequestApproved     Action = "request.approved"
	ActionRequestNotified     Action = "request.notified"
	// ActionRequestApprovalRejected: a second privacy officer refused to
	// approve an erasure; it went back to received.
	ActionRequestApprovalRejected Action = "request.approval_rejected"
	// ActionRequestAssigned: a request was assigned (or unassigned).
	ActionRequestAssigned Action = "request.assigned"
	// ActionRequestNoteAdded: a note was added to a request (its id only; the
	// text is encrypted under the request's key, never in the record).
	ActionRequestNoteAdded Action = "request.note_added"
	// ActionAccessDenied: a signed-in user reached for an action their role
	// does not allow (console, API); nothing was done.
	ActionAccessDenied Action = "access.denied"

	ActionErasureIntercomDeleted Action = "erasure.intercom_deleted"
	ActionErasureLocalPurged     Action = "erasure.local_purged"
	ActionErasureKeyDestroyed    Action = "erasure.key_destroyed"
	ActionErasureSuppressed      Action = "erasure.suppressed"
	ActionErasureVerified        Action = "erasure.verified"
	ActionErasureRedacted        Action = "erasure.redacted"
	// ActionErasureKept: objects an erasure kept under a legal hold or an
	// exception (GDPR Art. 17(3), CCPA §1798.105(d)); ids and basis codes.
	ActionErasureKept Action = "erasure.kept"
	// ActionRequestsPruned: request records removed at the end of their
	// retention, or suppression entries at the end of theirs.
	ActionRequestsPruned Action = "requests.pruned"

	ActionAccessPackageCreated    Action = "access.package_created"
	ActionAccessPackageDownloaded Action = "access.package_downloaded"
	ActionAccessPackageExpired    Action = "access.package_expired"
	// ActionAccessContactUnarchived and ActionAccessContactRearchived: an
	// archived contact unarchived to read it for an access request, and
	// archived again (access.unarchive_to_read).
	ActionAccessContactUnarchived Action = "access.contact_unarchived"
	ActionAccessContactRearchived Action = "access.contact_rearchived"

	ActionRecipientsNotified Action = "recipients.notified"
	ActionLegalHoldAdded     Action = "legal_hold.added"
	ActionLegalHoldReleased  Action = "legal_hold.released"
	ActionRetentionRun       Action = "retention.run"
	ActionExportJob          Action = "export.job"
	ActionWebhookApplied     Action = "webhook.applied"
	ActionSyncRun            Action = "sync.run"
	ActionKeysInitialised    Action = "keys.initialised"
	ActionKeysRotated        Action = "keys.rotated"
	ActionStoreMigrated      Action = "store.migrated"
	ActionAuditExported      Action = "audit.exported"

	// ActionScanRun: a workspace scan run started or ended (package scan).
	ActionScanRun Action = "scan.run"
	// ActionScanRedactionIntended: a conversation part is about to be redacted
	// in Intercom (recorded before the request).
	ActionScanRedactionIntended Action = "scan.redaction_intended"
	// ActionScanRedacted: the redaction of a part ended (the outcome says how).
	ActionScanRedacted Action = "scan.redacted"
	// ActionScanNotePosted: an internal note telling the team why a message
	// disappeared was posted (or its posting failed).
	ActionScanNotePosted Action = "scan.note_posted"
	// ActionScanRedactionProposed: a redaction was proposed for approval (the
	// console's four-eyes rule); nothing is sent before it is approved.
	ActionScanRedactionProposed Action = "scan.redaction_proposed"
	// ActionScanRedactionDecided: a proposed redaction was approved or rejected
	// (the outcome says which) by someone other than its proposer.
	ActionScanRedactionDecided Action = "scan.redaction_decided"

	// ActionMessageQueued: an e-mail to the person or the operators was
	// written to the outbox (package mail); the record names the message's id
	// and kind, never its recipient or text.
	ActionMessageQueued Action = "message.queued"
	// ActionMessageSent: the mail server accepted a message (success), or
	// refused it for good or it was given up on (failure).
	ActionMessageSent Action = "message.sent"
	// ActionCorrectionUpdated: a correction's contacts were updated in
	// Intercom (field names in the counts, never values).
	ActionCorrectionUpdated Action = "correction.intercom_updated"
	// ActionCorrectionVerified: re-reading showed every contact corrected.
	ActionCorrectionVerified Action = "correction.verified"
	// ActionCorrectionLocalRefreshed: the local copy was refreshed from Intercom.
	ActionCorrectionLocalRefreshed Action = "correction.local_refreshed"
	// ActionRestrictionMarked: contacts marked restricted (or opted out) in
	// Intercom, or the limit recorded locally.
	ActionRestrictionMarked Action = "restriction.marked"
	// ActionRestrictionLifted: a restriction lifted in Intercom or locally.
	ActionRestrictionLifted Action = "restriction.lifted"
	// ActionObjectionRecorded: an objection or opt-out applied and recorded.
	ActionObjectionRecorded Action = "objection.recorded"
	// ActionAppealDecided: the decision on an appeal.
	ActionAppealDecided Action = "appeal.decided"
	// ActionAgentPermissionDecided: an operator accepted or refused the
	// signed permission of an authorised agent (CCPA Regs §7063); the
	// outcome and reason say which, never the agent or the document.
	ActionAgentPermissionDecided Action = "agent.permission_decided"
	// ActionAgentPermissionRead: an operator downloaded an authorised
	// agent's signed permission.
	ActionAgentPermissionRead Action = "agent.permission_read"
)

// The actions of the console's and the API's accounts (package users). The
// records name users by id (ObjectIDs "usr_..."), sessions ("ses_...") and
// tokens ("tok_..."), never by email.
const (
	// ActionUserAdded: an account was created (by the CLI, an admin or the
	// identity provider's first sign-in).
	ActionUserAdded Action = "user.added"
	// ActionUserDisabled: an account was disabled; its sessions and tokens
	// stopped working.
	ActionUserDisabled Action = "user.disabled"
	// ActionUserReset: an account's password and second factor were reset.
	ActionUserReset Action = "user.reset"
	// ActionUserRoleChanged: an account's role changed (the identity
	// provider's claim mapped to another role).
	ActionUserRoleChanged Action = "user.role_changed"
	// ActionUserEnrolled: an account enrolled its second factor (TOTP) and
	// received recovery codes.
	ActionUserEnrolled Action = "user.enrolled"
	// ActionUserPasswordChanged: an account's owner changed its password
	// (their other sessions ended), or tried to with a wrong current one.
	ActionUserPasswordChanged Action = "user.password_changed"
	// ActionSignIn: a sign-in attempt ended (success, or failure with the
	// reason: wrong credentials, throttled, disabled).
	ActionSignIn Action = "auth.sign_in"
	// ActionSessionEnded: a session was ended (sign-out, sign-out everywhere,
	// rotation at sign-in, the account disabled or reset).
	ActionSessionEnded Action = "auth.session_ended"
	// ActionTokenCreated: an API token was created.
	ActionTokenCreated Action = "auth.token_created"
	// ActionTokenRevoked: an API token was revoked.
	ActionTokenRevoked Action = "auth.token_revoked"
)

var actions = []Action{
	ActionRequestReceived, ActionRequestAcknowledged, ActionRequestVerified,
	ActionRequestStep, ActionRequestCompleted, ActionRequestDenied,
	ActionRequestCancelled, ActionRequestExtended, ActionRequestPaused,
	ActionRequestResumed, ActionRequestApproved, ActionRequestNotified,
	ActionRequestApprovalRejected, ActionRequestAssigned, ActionRequestNoteAdded, ActionAccessDenied,
	ActionErasureIntercomDeleted, ActionErasureLocalPurged, ActionErasureKeyDestroyed,
	ActionErasureSuppressed, ActionErasureVerified, ActionErasureRedacted, ActionErasureKept, ActionRequestsPruned,
	ActionAccessPackageCreated, ActionAccessPackageDownloaded, ActionAccessPackageExpired,
	ActionAccessContactUnarchived, ActionAccessContactRearchived,
	ActionRecipientsNotified, ActionLegalHoldAdded, ActionLegalHoldReleased,
	ActionRetentionRun, ActionExportJob, ActionWebhookApplied, ActionSyncRun,
	ActionKeysInitialised, ActionKeysRotated, ActionStoreMigrated, ActionAuditExported,
	ActionAuditPruned,
	ActionScanRun, ActionScanRedactionIntended, ActionScanRedacted, ActionScanNotePosted,
	ActionMessageQueued, ActionMessageSent,
	ActionCorrectionUpdated, ActionCorrectionVerified, ActionCorrectionLocalRefreshed,
	ActionRestrictionMarked, ActionRestrictionLifted, ActionObjectionRecorded, ActionAppealDecided,
	ActionUserAdded, ActionUserDisabled, ActionUserReset, ActionUserRoleChanged, ActionUserEnrolled, ActionUserPasswordChanged,
	ActionSignIn, ActionSessionEnded, ActionTokenCreated, ActionTokenRevoked,
	ActionScanRedactionProposed, ActionScanRedactionDecided,
	ActionAgentPermissionDecided, ActionAgentPermissionRead,
}

var actionSet = func() map[Action]struct{} {
	m := make(map[Action]struct{}, len(actions))
	for _, a := range actions {
		m[a] = struct{}{}
	}
	return m
}()

// Valid reports whether a is one of the Action constants.
func (a Action) Valid() bool { _, ok := actionSet[a]; return ok }

// Actions returns every valid Action, in declaration order.
func Actions() []Action { return slices.Clone(actions) }

// Outcome is how an action ended.
type Outcome string

// The outcomes.
const (
	OutcomeSuccess Outcome = "success" // it did what it set out to do
	OutcomeFailure Outcome = "failure" // it did nothing, or what it did was rolled back
	OutcomePartial Outcome = "partial" // some of it was done (Counts say how much)
	OutcomeNoop    Outcome = "noop"    // there was nothing to do (e.g. already erased)
)

// Valid reports whether o is one of the Outcome constants.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeSuccess, OutcomeFailure, OutcomePartial, OutcomeNoop:
		return true
	}
	return false
}

// Record is one entry of the audit trail. Append sets Seq, Time, PrevHash and
// Hash; the caller sets the rest. Every string field is checked for personal
// data before it is written (see Checker), so put counts and Intercom object
// ids in Counts and ObjectIDs, and never a name, e-mail, phone or message.
type Record struct {
	// Seq is the record's position in the chain, from 1, without gaps.
	Seq int64
	// Time is when the record was appended, in UTC, to the microsecond.
	Time time.Time
	// Actor is who acted: "cli:<os user>", "worker", "webhook", "server", ...
	// (never an e-mail address).
	Actor string
	// Action is what happened.
	Action Action
	// RequestID is the privacy request the record belongs to, if any.
	RequestID string
	// SubjectRef is the keyed HMAC-SHA256 (64 lower-case hex digits, from the
	// vault) of the person's normalised identifier, if the record is about
	// one person.
	SubjectRef string
	// Counts are object counts by kind, e.g. {"contacts_deleted": 2}.
	Counts map[string]int64
	// ObjectIDs are the Intercom object ids the action touched.
	ObjectIDs []string
	// Outcome is how the action ended.
	Outcome Outcome
	// Reason is a short explanation (an error class, a legal basis, ...).
	Reason string

	// RequestDate is when the request was received (CCPA §7101: date of request).
	RequestDate time.Time
	// RequestNature is what was asked, e.g. "access" or "deletion" (§7101).
	RequestNature string
	// RequestMethod is how the request was made, e.g. "email", "web_form",
	// "intercom_ticket" (§7101).
	RequestMethod string
	// ResponseDate is when the request was answered (§7101).
	ResponseDate time.Time
	// ResponseNature is what the answer was, e.g. "package delivered" (§7101).
	ResponseNature string
	// DenialReason is why the request was denied, in whole or part (§7101),
	// e.g. a legal basis such as "GDPR Art. 17(3)(e)".
	DenialReason string

	// PrevHash is the Hash of record Seq-1 (nil for Seq 1).
	PrevHash []byte
	// Hash is SHA-256(RecordHashPrefix || body).
	Hash []byte
}

// stored returns the row a store keeps for r: body is r's canonical
// encoding (AppendBody) and r.Hash its hash.
func (r *Record) stored(body []byte) StoredRecord {
	return StoredRecord{
		Seq:        r.Seq,
		Time:       r.Time,
		Action:     string(r.Action),
		RequestID:  r.RequestID,
		SubjectRef: r.SubjectRef,
		Body:       body,
		PrevHash:   r.PrevHash,
		Hash:       r.Hash,
	}
}

// normTime returns t in UTC truncated to the microsecond, the precision both
// databases keep.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}
