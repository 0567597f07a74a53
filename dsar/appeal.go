package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Linked requests: an appeal of the answer to a request (the US state laws
// give the person an appeal, answered within the law's appeal period), and the
// lifting of a restriction (GDPR Art. 18(3)). Each is a request of its own,
// with its own clock and audit trail, linked to the request it is about.

// The decisions on an appeal.
const (
	// AppealUpheld: the original decision stands; the answer names the
	// authority the person may complain to.
	AppealUpheld = "upheld"
	// AppealReversed: the appeal is granted; the operator files the request
	// again (or carries out what was refused), and the answer says so.
	AppealReversed = "reversed"
)

// AppealOutcome is the outcome a decided appeal keeps, and what the person is
// told: the decision, its reason, and the authority and complaint route of
// the request's law.
type AppealOutcome struct {
	Type      store.RequestType `json:"type"`
	Decision  string            `json:"decision"`
	Reason    string            `json:"reason"`
	Appealed  string            `json:"appealed"`
	Authority string            `json:"authority"`
	URL       string            `json:"authority_url,omitempty"`
	Complaint string            `json:"complaint"`
}

// fileLinked files a request of type typ linked to the request linked, for
// the same person (subject reference) and under the same law, with the clock
// of kind.
func (s *Service) fileLinked(ctx context.Context, typ store.RequestType, linked store.Request, channel string, received time.Time, kind deadline.Kind) (store.Request, error) {
	if channel == "" {
		channel = "api"
	}
	if !validChannel(channel) {
		return store.Request{}, fmt.Errorf("%w: channel must be one of %v", ErrInvalidRequest, channels)
	}
	if received.IsZero() {
		received = s.now()
	}
	j, err := deadline.ParseJurisdiction(linked.Jurisdiction)
	if err != nil {
		return store.Request{}, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	clock, err := s.Calculator.ComputeKind(kind, j, received, s.location())
	if errors.Is(err, deadline.ErrNoAppeal) {
		route := ""
		if info, ierr := jurisdiction.For(j); ierr == nil {
			route = " " + info.Authority.Complaint
		}
		return store.Request{}, fmt.Errorf("%w: %v: the person cannot appeal to you under this law.%s", ErrInvalidRequest, err, route)
	}
	if err != nil {
		return store.Request{}, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	id := newRequestID()
	var created store.Request
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		open, err := tx.ListRequests(ctx, store.RequestFilter{LinkedTo: linked.ID, Types: []store.RequestType{typ},
			States: []store.RequestState{store.StateReceived, store.StateVerified, store.StateInProgress}, Limit: 1})
		if err != nil {
			return err
		}
		if len(open) > 0 {
			return fmt.Errorf("%w: %s already has an open %s (%s)", ErrWrongState, linked.ID, typ, open[0].ID)
		}
		created, err = tx.CreateRequest(ctx, store.Request{
			ID: id, Type: typ, Jurisdiction: linked.Jurisdiction, Channel: channel, State: store.StateReceived,
			SubjectRef: linked.SubjectRef, LinkedRequestID: linked.ID,
			ReceivedAt: received.UTC(), AckDueAt: clock.AckDue.UTC(), DueAt: clock.Due.UTC(),
		})
		if err != nil {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{
			Actor: s.Actor, Action: audit.ActionRequestReceived, RequestID: id, SubjectRef: linked.SubjectRef,
			Outcome: audit.OutcomeSuccess, RequestDate: received.UTC(), RequestNature: requestNature(typ),
			RequestMethod: channel, ObjectIDs: []string{linked.ID}, Reason: string(typ) + " of the request in object_ids",
		})
		return err
	})
	if err != nil {
		return store.Request{}, fmt.Errorf("dsar: file %s: %w", typ, err)
	}
	s.logger().Info("request filed", "request_id", created.ID, "type", string(typ), "linked", linked.ID, "due", created.DueAt)
	return created, nil
}

// Appeal files the person's appeal of the answer to request id (completed or
// denied), under the same law, due within the law's appeal period. A law
// without an appeal process (GDPR, CCPA, Utah, ...) refuses it with the
// authority the person may complain to instead.
func (s *Service) Appeal(ctx context.Context, id, channel string, received time.Time) (store.Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return store.Request{}, err
	}
	switch {
	case r.Type == store.RequestAppeal:
		return store.Request{}, fmt.Errorf("%w: %s is an appeal; the decision on an appeal is final here (the person may complain to the authority)", ErrWrongState, id)
	case r.State != store.StateCompleted && r.State != store.StateDenied:
		return store.Request{}, fmt.Errorf("%w: %s is %s; a decision can be appealed once it is given (completed or denied)", ErrWrongState, id, r.State)
	}
	return s.fileLinked(ctx, store.RequestAppeal, r, channel, received, deadline.KindAppeal)
}

// LiftRestriction files the lifting of the completed restriction id. It runs
// as a request (unmark_contacts → lift_limit → complete): the restriction's
// tag and email opt-out come off the contacts it marked, and the local limit
// ends. GDPR Art. 18(3): tell the person before the restriction is lifted.
func (s *Service) LiftRestriction(ctx context.Context, id, channel string) (store.Request, error) {
	r, err := s.Get(ctx, id)
	if err != nil {
		return store.Request{}, err
	}
	if r.Type != store.RequestRestriction || r.State != store.StateCompleted {
		return store.Request{}, fmt.Errorf("%w: %s is a %s request, %s; only a completed restriction can be lifted", ErrWrongState, id, r.Type, r.State)
	}
	lifted, err := s.Store.ListRequests(ctx, store.RequestFilter{LinkedTo: id, Types: []store.RequestType{store.RequestLiftRestriction},
		States: []store.RequestState{store.StateCompleted}, Limit: 1})
	if err != nil {
		return store.Request{}, err
	}
	if len(lifted) > 0 {
		return store.Request{}, fmt.Errorf("%w: %s was lifted already by %s", ErrFinished, id, lifted[0].ID)
	}
	return s.fileLinked(ctx, store.RequestLiftRestriction, r, channel, time.Time{}, "")
}

// DecideAppeal records the decision on appeal id (AppealUpheld or
// AppealReversed) with its reason (shown to the person; no personal data) and
// completes it, in one transaction with its audit record. The outcome names
// the authority and complaint route of the request's law, which the answer to
// the person must give (e.g. Va. Code §59.1-577(C): the Attorney General).
func (s *Service) DecideAppeal(ctx context.Context, id, decision, reason string) (store.Request, error) {
	if decision != AppealUpheld && decision != AppealReversed {
		return store.Request{}, fmt.Errorf("%w: the decision is %s or %s", ErrInvalidRequest, AppealUpheld, AppealReversed)
	}
	if reason == "" {
		return store.Request{}, fmt.Errorf("%w: a decision on an appeal needs its reason (shown to the person)", ErrInvalidRequest)
	}
	r, err := s.Get(ctx, id)
	if err != nil {
		return store.Request{}, err
	}
	if r.Type != store.RequestAppeal {
		return store.Request{}, fmt.Errorf("%w: %s is not an appeal", ErrWrongState, id)
	}
	j, err := deadline.ParseJurisdiction(r.Jurisdiction)
	if err != nil {
		return store.Request{}, err
	}
	info, err := jurisdiction.For(j)
	if err != nil {
		return store.Request{}, err
	}
	out := AppealOutcome{Type: store.RequestAppeal, Decision: decision, Reason: reason, Appealed: r.LinkedRequestID,
		Authority: info.Authority.Name, URL: info.Authority.URL, Complaint: info.Authority.Complaint}
	b, err := json.Marshal(out)
	if err != nil {
		return store.Request{}, err
	}
	now := s.now()
	nature := "appeal decided: original decision upheld"
	if decision == AppealReversed {
		nature = "appeal decided: original decision reversed"
	}
	return s.transition(ctx, id, []store.RequestState{store.StateReceived, store.StateVerified, store.StateInProgress}, store.StateCompleted,
		audit.Record{Action: audit.ActionAppealDecided, Reason: reason, ResponseDate: now, ResponseNature: nature,
			ObjectIDs: []string{r.LinkedRequestID}, RequestDate: r.ReceivedAt, RequestNature: "appeal", RequestMethod: r.Channel},
		func(q *store.Request) error { q.CompletedAt, q.Outcome = now, b; return nil }, MilestoneCompleted)
}
