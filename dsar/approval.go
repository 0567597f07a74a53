package dsar

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// ErrSelfApproval: the person who filed an erasure cannot approve it (four
// eyes).
var ErrSelfApproval = errors.New("dsar: an erasure must be approved by someone other than the person who filed it")

// approvalRequired reports whether an erasure filed with ctx waits for a
// second person's approval: erasure.approval "required" always, "none" never,
// and by default when it is filed through the console or the API (ctx carries
// an authz.Principal).
func (s *Service) approvalRequired(ctx context.Context) bool {
	switch s.config().Erasure.Approval {
	case config.ApprovalRequired:
		return true
	case config.ApprovalNone:
		return false
	}
	_, web := authz.PrincipalFrom(ctx)
	return web
}

// Approve approves an erasure waiting for it (four eyes): the request becomes
// verified and is queued for a worker. The approver is the context's actor and
// must not be the one who filed it (ErrSelfApproval); that the approver may
// approve at all (a privacy officer) is the caller's check, made where the
// route is registered. Nothing is sent to Intercom before this.
func (s *Service) Approve(ctx context.Context, id string) (store.Request, error) {
	approver := s.actor(ctx)
	r, err := s.transition(ctx, id, []store.RequestState{store.StateAwaitingApproval}, store.StateVerified,
		audit.Record{Action: audit.ActionRequestApproved, Reason: "erasure approved (four eyes)"},
		func(r *store.Request) error {
			if r.FiledBy == approver {
				return fmt.Errorf("%w (%s)", ErrSelfApproval, r.ID)
			}
			r.Approval, r.ApprovedBy = store.ApprovalGiven, approver
			return nil
		})
	if err != nil {
		return r, err
	}
	if s.Enqueue != nil {
		if err := s.Enqueue(ctx, r.ID); err != nil {
			return r, &FiledError{Request: r, Stage: "enqueue", Err: err}
		}
	}
	return r, nil
}

// Reject refuses to approve an erasure waiting for approval: it goes back to
// received, with the reason in the audit trail (no personal data), for the
// team to correct, verify again, deny or cancel. The filer may not reject
// their own either: withdrawing it is Cancel.
func (s *Service) Reject(ctx context.Context, id, reason string) (store.Request, error) {
	if strings.TrimSpace(reason) == "" {
		return store.Request{}, fmt.Errorf("%w: a rejection needs a reason", ErrInvalidRequest)
	}
	actor := s.actor(ctx)
	return s.transition(ctx, id, []store.RequestState{store.StateAwaitingApproval}, store.StateReceived,
		audit.Record{Action: audit.ActionRequestApprovalRejected, Reason: reason},
		func(r *store.Request) error {
			if r.FiledBy == actor {
				return fmt.Errorf("%w (%s): to withdraw it, cancel it", ErrSelfApproval, r.ID)
			}
			return nil
		})
}

// Assign assigns an open request to assignee (an audit actor, "user:<id>"),
// or to nobody when assignee is empty, with an audit record.
func (s *Service) Assign(ctx context.Context, id, assignee string) (store.Request, error) {
	rec := audit.Record{Action: audit.ActionRequestAssigned, Reason: "unassigned"}
	if assignee != "" {
		if !validActorName(assignee) {
			return store.Request{}, fmt.Errorf("%w: assign to a user id (user:<id>)", ErrInvalidRequest)
		}
		rec.Reason, rec.ObjectIDs = "assigned", []string{assignee}
	}
	return s.transition(ctx, id, nil, "", rec,
		func(r *store.Request) error { r.Assignee = assignee; return nil })
}

// validActorName accepts "user:" and a store id: letters, digits, '_' and '-'.
func validActorName(a string) bool {
	rest, ok := strings.CutPrefix(a, "user:")
	if !ok || rest == "" || len(rest) > 64 {
		return false
	}
	for _, c := range rest {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
