package httpx

import (
	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/dsar"
	"github.com/intercom-privacy/intercom-privacy/export"
	"github.com/intercom-privacy/intercom-privacy/retention"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/users"
)

// Table maps every exported error of dsar, store, deadline, export and users
// (a test fails when one is missing) and retention's request-facing ones to a kind,
// in the order they are matched: the more specific first.
var Table = []Mapping{
	// A text for the audit trail (a reason) that looks like personal data.
	{audit.ErrPersonalData, "audit.ErrPersonalData", KindInvalid},
	{audit.ErrInvalidRecord, "audit.ErrInvalidRecord", KindInvalid},

	{dsar.ErrSelfApproval, "dsar.ErrSelfApproval", KindSelfApproval},
	{dsar.ErrWildcard, "dsar.ErrWildcard", KindInvalid},
	{dsar.ErrNotFound, "dsar.ErrNotFound", KindNotFound},
	{dsar.ErrNoPackage, "dsar.ErrNoPackage", KindNotFound},
	{dsar.ErrPackageExpired, "dsar.ErrPackageExpired", KindGone},
	{dsar.ErrFinished, "dsar.ErrFinished", KindConflict},
	{dsar.ErrWrongState, "dsar.ErrWrongState", KindConflict},
	{dsar.ErrOpenRequest, "dsar.ErrOpenRequest", KindConflict},
	{dsar.ErrAwaitingApproval, "dsar.ErrAwaitingApproval", KindConflict},
	{dsar.ErrAgentPending, "dsar.ErrAgentPending", KindConflict},
	{dsar.ErrStepUpOffered, "dsar.ErrStepUpOffered", KindConflict},
	{dsar.ErrNotVerified, "dsar.ErrNotVerified", KindConflict},
	{dsar.ErrNoAgent, "dsar.ErrNoAgent", KindNotFound},
	{dsar.ErrAgentDecided, "dsar.ErrAgentDecided", KindConflict},
	{dsar.ErrAgentRole, "dsar.ErrAgentRole", KindForbidden},
	{dsar.ErrLeaseHeld, "dsar.ErrLeaseHeld", KindConflict},
	{dsar.ErrLeaseLost, "dsar.ErrLeaseLost", KindConflict},
	{dsar.ErrInGrace, "dsar.ErrInGrace", KindConflict},
	{dsar.ErrHeld, "dsar.ErrHeld", KindConflict},
	{dsar.ErrNothingToPlan, "dsar.ErrNothingToPlan", KindConflict},
	{dsar.ErrArt15Incomplete, "dsar.ErrArt15Incomplete", KindUnavailable},
	{dsar.ErrNoIntercom, "dsar.ErrNoIntercom", KindUnavailable},
	{dsar.ErrInvalidRequest, "dsar.ErrInvalidRequest", KindInvalid},

	{store.ErrNotFound, "store.ErrNotFound", KindNotFound},
	{store.ErrStateConflict, "store.ErrStateConflict", KindConflict},
	{store.ErrDuplicate, "store.ErrDuplicate", KindConflict},
	{store.ErrChainConflict, "store.ErrChainConflict", KindBusy},
	{store.ErrBusy, "store.ErrBusy", KindBusy},
	{store.ErrInvalid, "store.ErrInvalid", KindInvalid},
	{store.ErrConnect, "store.ErrConnect", KindBusy},
	{store.ErrDiskFull, "store.ErrDiskFull", KindInternal},
	{store.ErrCorrupt, "store.ErrCorrupt", KindInternal},
	{store.ErrForeignDatabase, "store.ErrForeignDatabase", KindInternal},
	{store.ErrMigration, "store.ErrMigration", KindInternal},
	{store.ErrNoDatabase, "store.ErrNoDatabase", KindInternal},
	{store.ErrNotDatabase, "store.ErrNotDatabase", KindInternal},
	{store.ErrSchemaTooNew, "store.ErrSchemaTooNew", KindInternal},
	{store.ErrUnsupportedURL, "store.ErrUnsupportedURL", KindInternal},

	{deadline.ErrAlreadyExtended, "deadline.ErrAlreadyExtended", KindConflict},
	{deadline.ErrExtensionTooLate, "deadline.ErrExtensionTooLate", KindConflict},
	{deadline.ErrNoExtension, "deadline.ErrNoExtension", KindConflict},
	{deadline.ErrNoAppeal, "deadline.ErrNoAppeal", KindConflict},
	{deadline.ErrExtensionTooLong, "deadline.ErrExtensionTooLong", KindInvalid},
	{deadline.ErrInvalidExtension, "deadline.ErrInvalidExtension", KindInvalid},
	{deadline.ErrNoBusinessDay, "deadline.ErrNoBusinessDay", KindInvalid},
	{deadline.ErrNotInForce, "deadline.ErrNotInForce", KindInvalid},
	{deadline.ErrReasonRequired, "deadline.ErrReasonRequired", KindInvalid},
	{deadline.ErrUnknownJurisdiction, "deadline.ErrUnknownJurisdiction", KindInvalid},

	{export.ErrNotFound, "export.ErrNotFound", KindNotFound},
	{export.ErrNotKept, "export.ErrNotKept", KindNotFound},
	{export.ErrExpired, "export.ErrExpired", KindGone},
	{export.ErrInvalidParams, "export.ErrInvalidParams", KindInvalid},
	{export.ErrOutDir, "export.ErrOutDir", KindInvalid},
	{export.ErrQueueTimeout, "export.ErrQueueTimeout", KindBusy},
	{export.ErrTimeout, "export.ErrTimeout", KindBusy},
	{export.ErrBadDownload, "export.ErrBadDownload", KindInternal},
	{export.ErrCreateUnknown, "export.ErrCreateUnknown", KindInternal},
	{export.ErrJobCanceled, "export.ErrJobCanceled", KindInternal},
	{export.ErrJobFailed, "export.ErrJobFailed", KindInternal},
	{export.ErrMalformedJob, "export.ErrMalformedJob", KindInternal},
	{export.ErrSealed, "export.ErrSealed", KindInternal},

	// Accounts, as the admin pages, the API and the sign-in pages (web/auth)
	// meet them.
	{users.ErrInvalidEmail, "users.ErrInvalidEmail", KindInvalid},
	{users.ErrWeakPassword, "users.ErrWeakPassword", KindInvalid},
	{users.ErrWrongPassword, "users.ErrWrongPassword", KindInvalid},
	{users.ErrInvalidToken, "users.ErrInvalidToken", KindInvalid},
	{users.ErrUserExists, "users.ErrUserExists", KindConflict},
	{users.ErrDisabled, "users.ErrDisabled", KindConflict},
	{users.ErrLastAdmin, "users.ErrLastAdmin", KindConflict},
	{users.ErrNoUser, "users.ErrNoUser", KindNotFound},
	{users.ErrNoToken, "users.ErrNoToken", KindNotFound},
	{users.ErrNotProvisioned, "users.ErrNotProvisioned", KindForbidden},
	{users.ErrNoRole, "users.ErrNoRole", KindForbidden},
	{users.ErrSignInFailed, "users.ErrSignInFailed", KindUnauth},
	{users.ErrThrottled, "users.ErrThrottled", KindThrottled},
	{users.ErrUnauthenticated, "users.ErrUnauthenticated", KindUnauth},
	{users.ErrWrongStage, "users.ErrWrongStage", KindUnauth},
	{users.ErrMalformedSecret, "users.ErrMalformedSecret", KindUnauth},
	{users.ErrBadHash, "users.ErrBadHash", KindInternal},

	{retention.ErrRunInProgress, "retention.ErrRunInProgress", KindConflict},
	{retention.ErrHoldNotFound, "retention.ErrHoldNotFound", KindNotFound},
	{retention.ErrRequestNotFound, "retention.ErrRequestNotFound", KindNotFound},
	{retention.ErrHoldReason, "retention.ErrHoldReason", KindInvalid},
	{retention.ErrHoldTarget, "retention.ErrHoldTarget", KindInvalid},
	{retention.ErrHoldBasis, "retention.ErrHoldBasis", KindInvalid},
}
