package export

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is. Run returns them inside an *Error that
// names the job and the state recorded in the store.
var (
	// ErrInvalidParams: the parameters cannot describe an export (dates missing,
	// Since after Until, Until in the future, no destination, bad durations).
	ErrInvalidParams = errors.New("export: invalid parameters")
	// ErrCreateUnknown: the create request may have reached Intercom but no answer
	// came back. A job may exist whose identifier is unknown; the API cannot list
	// jobs. Run again later: the new run waits while that job holds the slot.
	ErrCreateUnknown = errors.New("export: the outcome of creating the export job is unknown")
	// ErrQueueTimeout: another export held the workspace's one export slot for the
	// whole timeout; no job was created.
	ErrQueueTimeout = errors.New("export: gave up waiting for another export to end")
	// ErrTimeout: the job did not finish within the timeout; it was cancelled.
	ErrTimeout = errors.New("export: the job did not finish in time and was cancelled")
	// ErrJobFailed: Intercom reports the job failed (HTTP 504, status failed; it
	// usually ran longer than Intercom allows). Try a shorter date range.
	ErrJobFailed = errors.New("export: Intercom reports the export job failed")
	// ErrJobCanceled: the job was cancelled by someone else (in Intercom, or by
	// another tool).
	ErrJobCanceled = errors.New("export: the export job was cancelled")
	// ErrExpired: the download is no longer available (past download_expires_at,
	// or Intercom answered 404/410 for the job or its download). Run a new export.
	ErrExpired = errors.New("export: the download has expired")
	// ErrBadDownload: the download is truncated or corrupt, or a CSV in it is
	// malformed (broken quoting, wrong number of fields, a required column missing,
	// a bad timestamp), after the retries allowed. Nothing was written or kept.
	ErrBadDownload = errors.New("export: the download is unusable")
	// ErrMalformedJob: Intercom answered with a job identifier or status this
	// package cannot use safely.
	ErrMalformedJob = errors.New("export: Intercom's answer about the job is malformed")
	// ErrNotFound: no export job, or kept file, with that identifier.
	ErrNotFound = errors.New("export: not found")
	// ErrNotKept: the job's files were not kept in the store (or have expired).
	ErrNotKept = errors.New("export: no kept files")
	// ErrSealed: a kept file does not open (tampered, truncated, moved to another
	// row, or its key destroyed).
	ErrSealed = errors.New("export: a kept file does not open")
	// ErrOutDir: the output directory cannot be written, or the files' final
	// location is taken by something that is not an earlier copy of this job.
	ErrOutDir = errors.New("export: cannot write to the output directory")
)

// Error is a failed or unsuccessful run: the job, the state now recorded for it in
// the store, and the cause. It holds no personal data and no URL.
type Error struct {
	// Job is the job identifier ("" when no job was created).
	Job string
	// State is the job's state in the store after the failure (State* constants);
	// "" when nothing was recorded.
	State string
	// Reason is a short machine-readable cause (for example "truncated",
	// "bad_quoting", "download_expires_at passed").
	Reason string
	// Err is a sentinel above, possibly joined with the underlying error.
	Err error
}

// Error describes the failure and what the store now says.
func (e *Error) Error() string {
	msg := e.Err.Error()
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	if e.Job != "" {
		msg += fmt.Sprintf("; job %s", e.Job)
	}
	if e.State != "" {
		msg += fmt.Sprintf(" recorded as %s", e.State)
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
