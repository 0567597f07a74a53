package dsar

import (
	"context"
	"errors"
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// ErrOpenRequest is returned by File when the same person has an open request of
// the same type filed with other identifiers (an *OpenRequestError names it).
var ErrOpenRequest = errors.New("dsar: an open request of this type exists for this person, filed with other identifiers")

// OpenRequestError names the open request that stopped File from filing a
// second one. It matches ErrOpenRequest.
type OpenRequestError struct {
	Request store.Request
}

func (e *OpenRequestError) Error() string {
	return fmt.Sprintf("%v: %s (%s)", ErrOpenRequest, e.Request.ID, e.Request.State)
}

// Unwrap returns ErrOpenRequest.
func (e *OpenRequestError) Unwrap() error { return ErrOpenRequest }

// FiledError is a request that was filed (and is kept) but whose next stage,
// Stage "verify" or "enqueue", failed. Request is the request as filed.
type FiledError struct {
	Request store.Request
	Stage   string
	Err     error
}

func (e *FiledError) Error() string {
	return fmt.Sprintf("dsar: request %s filed; %s failed: %v", e.Request.ID, e.Stage, e.Err)
}

// Unwrap returns the cause.
func (e *FiledError) Unwrap() error { return e.Err }

// Filing is a request to file through File.
type Filing struct {
	Submission
	// VerifiedBy, when set, says how the requester's identity was verified
	// (recorded in the audit trail; no personal data): the request is verified
	// at once, as the command line does. Empty leaves it received, for Verify
	// later.
	VerifiedBy string
	// New files a new request even when the same person has an open request of
	// the same type.
	New bool
}

// File files a request the way every face of the product does: it attaches to
// the open request of the same type for the same person filed with the same
// identifiers (attached true: running a command again after Ctrl-C or a crash
// never files a second request), refuses with an *OpenRequestError when that
// request was filed with other identifiers (unless f.New), otherwise submits a
// new one; then verifies it (when f.VerifiedBy is set and it is received) and
// queues it for a worker (Service.Enqueue) when a worker can run it: an
// erasure awaiting approval is queued by Approve, a request left received by
// the caller that verifies it.
//
// A failure after the request is stored is a *FiledError naming the request
// and the stage: the request is kept, and a worker queues it when it starts
// (EnqueuePending).
func (s *Service) File(ctx context.Context, f Filing) (r store.Request, attached bool, err error) {
	if !f.New {
		open, same, err := s.OpenFor(ctx, f.Type, f.Identifiers)
		switch {
		case err == nil && same:
			r, attached = open, true
		case err == nil:
			return store.Request{}, false, &OpenRequestError{Request: open}
		case !errors.Is(err, ErrNotFound):
			return store.Request{}, false, err
		}
	}
	if !attached {
		if r, err = s.Submit(ctx, f.Submission); err != nil {
			return store.Request{}, false, err
		}
	}
	if r.State == store.StateReceived && f.VerifiedBy != "" {
		level := f.Submission.VerificationLevel
		if level == "" {
			level = LevelOf(f.VerifiedBy)
		}
		v, err := s.VerifyAt(ctx, r.ID, f.VerifiedBy, level)
		if err != nil {
			return r, attached, &FiledError{Request: r, Stage: "verify", Err: err}
		}
		r = v
	}
	// Only a request a worker can run is queued. A job for one still
	// received or awaiting approval would be snoozed (SnoozeNotVerified) and,
	// unique per request, would swallow the enqueue of Verify's or Approve's
	// caller: the request would wait out the snooze after it was approved.
	if s.Enqueue != nil && (r.State == store.StateVerified || r.State == store.StateInProgress) {
		if err := s.Enqueue(ctx, r.ID); err != nil {
			return r, attached, &FiledError{Request: r, Stage: "enqueue", Err: err}
		}
	}
	return r, attached, nil
}
