package dsar

import (
	"errors"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/store"
)

// The waiting period of erasures (config erasure.grace).
//
// An erasure filed with a waiting period is not started before the period ends:
// Run returns a *GraceError (the worker snoozes the job until then), sends
// nothing to Intercom and records nothing, so the request stays verified and can
// still be cancelled (`dsar cancel ID`) before its first DELETE. The period is
// counted from when the request was filed in this tool (CreatedAt), on the
// service's clock (Service.Now), never from a back-dated ReceivedAt. A request
// already started is never held back.

// ErrInGrace is wrapped by *GraceError.
var ErrInGrace = errors.New("dsar: the erasure is in its waiting period")

// GraceError reports an erasure still in its waiting period.
type GraceError struct {
	RequestID string
	// Until is when the waiting period ends.
	Until time.Time
}

// Error says until when, and how to stop the erasure.
func (e *GraceError) Error() string {
	return fmt.Sprintf("%s: %s starts after %s (erasure.grace); until then it can be cancelled with `intercom-privacy dsar cancel %s`",
		ErrInGrace.Error(), e.RequestID, e.Until.UTC().Format(time.RFC3339), e.RequestID)
}

// Unwrap returns ErrInGrace.
func (e *GraceError) Unwrap() error { return ErrInGrace }

// graceUntil returns when a request's waiting period ends (zero: none).
func (s *Service) graceUntil(req store.Request) time.Time {
	g := s.config().Erasure.Grace
	if g <= 0 || req.Type == store.RequestAccess || req.CreatedAt.IsZero() {
		return time.Time{}
	}
	return req.CreatedAt.Add(g)
}

// checkGrace fails with *GraceError for an erasure not started whose waiting
// period has not ended.
func (s *Service) checkGrace(req store.Request) error {
	if req.State != store.StateVerified {
		return nil
	}
	if until := s.graceUntil(req); !until.IsZero() && s.now().Before(until) {
		return &GraceError{RequestID: req.ID, Until: until}
	}
	return nil
}
