// Package dsar runs data subject requests: it files a request with its legal clock,
// moves it through its states (received → verified → in progress → completed, or
// denied with a reason, or cancelled), resolves the person to their Intercom
// contacts, and records every change and its audit record in one transaction.
//
// The access and erasure work itself lives in the files access.go and erasure.go;
// the River workers that run them durably in worker.go. Nothing here speaks HTTP
// except through the intercom client, and nothing here writes SQL except through the
// store.
package dsar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/config"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/intercom"
	"github.com/intercom-privacy/intercom-privacy/pii"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Service runs privacy requests. All fields but Logger, Now, Location and Calculator
// are required.
type Service struct {
	Store    store.Store
	Vault    *vault.Vault
	Chain    *audit.Chain
	Intercom *intercom.Client
	// Redactor removes other people's personal data from conversations and notes.
	Redactor *pii.Redactor
	Config   *config.Config
	// RetentionText is the retention policy in force, in words, for the Art. 15
	// information of access packages (retention.Policy.Describe, set by
	// app.Open). Empty: only the configured access.retention.
	RetentionText string
	// Actor names who acts in audit records ("cli:<user>", "worker", "server")
	// when the context carries no authz.Principal; a console or API call acts
	// as its Principal ("user:<id>", see actor).
	Actor string
	// Logger receives progress; it must be the project's redacting logger.
	Logger *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Location is the time zone deadlines are computed in (UTC when nil).
	Location *time.Location
	// Calculator holds the deadline rules (zero value: the defaults).
	Calculator deadline.Calculator
	// Parallelism bounds concurrent Intercom calls of one request (default 8); the
	// client's shared rate budget bounds the rate.
	Parallelism int
	// PackageTTL is how long an access package is kept (default 7 days, the export
	// retention).
	PackageTTL time.Duration
	// Notices, when set, plans the notices to the recipients of the data in the
	// transaction that completes an erasure (GDPR Art. 19, CCPA §7022(b)).
	Notices NoticePlanner
	// Messenger, when set, writes the message each milestone owes the person
	// (acknowledgement, extension, denial, completion) in the milestone's
	// transaction; package messages provides it (app.Open sets it when a
	// mail server is configured).
	Messenger Messenger
	// LocalCopy, when set, refreshes the local copy of corrected contacts
	// (package contactsync provides it); nil: the correction records that no
	// copy is kept.
	LocalCopy LocalCopy
	// Enqueue queues a request for a worker (app.Open sets it to insert a River
	// job on the application's database). When nil, File queues nothing and a
	// worker queues the request when it starts (EnqueuePending).
	Enqueue func(ctx context.Context, requestID string) error
}

// NoticePlanner writes, inside tx, the notices owed to the recipients of the data
// for event ("erasure") on a request; package notice provides it.
type NoticePlanner interface {
	Plan(ctx context.Context, tx store.Tx, requestID, event string) (int, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// actor names who acts in audit records: the Principal ctx carries (a console
// or API user, "user:<id>"), else s.Actor.
func (s *Service) actor(ctx context.Context) string { return authz.ActorFrom(ctx, s.Actor) }

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Submission is a new request as a privacy team receives it.
type Submission struct {
	Type         store.RequestType
	Identifiers  Identifiers
	Jurisdiction deadline.Jurisdiction
	// Channel says how the request was made: "email", "web_form", "api",
	// "intercom_ticket", "intercom_conversation", "phone", "mail" (CCPA §7101: how
	// the request was made).
	Channel string
	// ReceivedAt is when the request arrived (now when zero); the legal clock
	// starts there.
	ReceivedAt time.Time
	// VerifiedBy, when set, records the identity as verified (how, without
	// personal data) in the same transaction as the filing: the public form
	// files a request only once the person followed the mailed link.
	VerifiedBy string
	// VerificationLevel is the level VerifiedBy reached; "" takes
	// LevelOf(VerifiedBy).
	VerificationLevel store.VerificationLevel
	// Within, when set, runs inside the filing's transaction after the
	// request is stored (the public form marks its intake settled there).
	Within func(ctx context.Context, tx store.Tx, r store.Request) error
	// Payload is what a correction sets or what an objection covers
	// (rights.go); empty for the other types.
	Payload Payload
}

// Errors returned by the request lifecycle. Messages never carry identifiers.
var (
	ErrInvalidRequest = errors.New("dsar: invalid request")
	ErrNotFound       = errors.New("dsar: no such request")
	ErrFinished       = errors.New("dsar: the request is already finished")
	ErrWrongState     = errors.New("dsar: the request is not in a state that allows this")
)

const (
	tableRequests  = "requests"
	colIdentifiers = "identifiers"
)

// requestKeyID is the person key under which a request's identifiers are encrypted.
// Destroying it (at the end of an erasure, or when the request's data expires) makes
// the identifiers unreadable while the request record itself is kept for the
// record-keeping period.
func requestKeyID(requestID string) string { return "request:" + requestID }

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

// Submit files a request: it validates the identifiers, encrypts them under a key of
// the request's own, computes the legal clock, and stores the request with its
// audit record (the §7101 date, nature and method of the request) in one
// transaction.
func (s *Service) Submit(ctx context.Context, sub Submission) (store.Request, error) {
	switch sub.Type {
	case store.RequestAccess, store.RequestErasure, store.RequestAccessErasure,
		store.RequestCorrection, store.RequestRestriction, store.RequestObjection:
	default:
		return store.Request{}, fmt.Errorf("%w: type must be access, erasure, access+erasure, correction, restriction or objection (an appeal or a lift is filed against the request it is about)", ErrInvalidRequest)
	}
	ids, err := sub.Identifiers.Normalized()
	if err != nil {
		return store.Request{}, err
	}
	if err := s.checkPayload(ctx, &sub); err != nil {
		return store.Request{}, err
	}
	limitRefs, _, err := s.identifierRefs(ids)
	if err != nil {
		return store.Request{}, err
	}
	if sub.Jurisdiction == "" {
		sub.Jurisdiction = deadline.GDPR
	}
	if sub.Channel == "" {
		sub.Channel = "api"
	}
	if !validChannel(sub.Channel) {
		return store.Request{}, fmt.Errorf("%w: channel must be one of %v", ErrInvalidRequest, channels)
	}
	received := sub.ReceivedAt
	if received.IsZero() {
		received = s.now()
	}
	clock, err := s.Calculator.ComputeKind(clockKind(sub.Type, sub.Payload), sub.Jurisdiction, received, s.location())
	if err != nil {
		return store.Request{}, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	ref, err := ids.SubjectRef(s.Vault)
	if err != nil {
		return store.Request{}, err
	}
	var refs []string
	var refErr error
	ids.each(func(kind vault.IndexKind, value string) {
		r, err := s.Vault.SubjectRef(kind, value)
		refErr = errors.Join(refErr, err)
		refs = append(refs, r)
	})
	if refErr != nil {
		return store.Request{}, refErr
	}
	approval := ""
	// Four eyes guard erasures; corrections, restrictions and opt-outs change
	// no more than the person asked, and opt-outs must be fast (CCPA).
	if (sub.Type == store.RequestErasure || sub.Type == store.RequestAccessErasure) && s.approvalRequired(ctx) {
		approval = store.ApprovalRequired
	}
	id := newRequestID()
	plain, err := json.Marshal(ids)
	if err != nil {
		return store.Request{}, err
	}
	var created store.Request
	var earlier int
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		prior, err := s.earlier(ctx, tx, ref, id, received.UTC())
		if err != nil {
			return err
		}
		earlier = len(prior)
		v := s.Vault.With(tx)
		enc, err := v.Encrypt(ctx, requestKeyID(id), vault.AAD{Table: tableRequests, Column: colIdentifiers, Row: id}, plain)
		if err != nil {
			return err
		}
		var payload []byte
		if len(sub.Payload.Set) > 0 || len(sub.Payload.Scope) > 0 {
			if payload, err = s.sealPayload(ctx, tx, id, sub.Payload); err != nil {
				return err
			}
		}
		limits, err := activeLimitsIn(ctx, tx, ref, limitRefs)
		if err != nil {
			return err
		}
		created, err = tx.CreateRequest(ctx, store.Request{
			ID: id, Type: sub.Type, Jurisdiction: string(sub.Jurisdiction), Channel: sub.Channel,
			State: store.StateReceived, IdentifiersEnc: enc, SubjectRef: ref, PayloadEnc: payload,
			ReceivedAt: received.UTC(), AckDueAt: clock.AckDue.UTC(), DueAt: clock.Due.UTC(),
			FiledBy: s.actor(ctx), Approval: approval, SubjectRefs: refs,
		})
		if err != nil {
			return err
		}
		rec := audit.Record{
			Actor: s.actor(ctx), Action: audit.ActionRequestReceived, RequestID: id, SubjectRef: ref,
			Outcome: audit.OutcomeSuccess, RequestDate: received.UTC(), RequestNature: requestNature(sub.Type),
			RequestMethod: sub.Channel, Counts: map[string]int64{"identifiers": int64(ids.Count())},
		}
		if earlier > 0 {
			rec.Counts["earlier_requests_in_window"] = int64(earlier)
			rec.Reason = RepeatNotice
		}
		for f := range sub.Payload.Set {
			// Field kinds only: the values are in the sealed payload.
			rec.Counts[auditFieldKey(f)]++
		}
		limitRecord(&rec, limits)
		if _, err = s.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		if sub.VerifiedBy != "" {
			created.State, created.UpdatedAt = store.StateVerified, s.now()
			created.VerificationLevel = sub.VerificationLevel
			if created.VerificationLevel == "" {
				created.VerificationLevel = LevelOf(sub.VerifiedBy)
			}
			if created.Approval == store.ApprovalRequired {
				// Four eyes, as Verify: a second officer approves first.
				created.State = store.StateAwaitingApproval
			}
			if created, err = tx.UpdateRequest(ctx, created, store.StateReceived); err != nil {
				return err
			}
			if _, err = s.Chain.Append(ctx, tx, audit.Record{Actor: s.actor(ctx), Action: audit.ActionRequestVerified, RequestID: id,
				SubjectRef: ref, Outcome: audit.OutcomeSuccess, Reason: "verified by " + sub.VerifiedBy + levelSuffix(created.VerificationLevel)}); err != nil {
				return err
			}
		}
		if created, err = s.acknowledge(ctx, tx, created); err != nil {
			return err
		}
		if sub.Within != nil {
			return sub.Within(ctx, tx, created)
		}
		return nil
	})
	if err != nil {
		return store.Request{}, fmt.Errorf("dsar: file request: %w", err)
	}
	s.logger().Info("request filed", "request_id", created.ID, "type", string(created.Type), "due", created.DueAt)
	if earlier > 0 {
		s.logger().Warn("request filed by a person who filed another recently (GDPR Art. 12(5)): for the operator to judge",
			"request_id", created.ID, "earlier_requests", earlier, "window_days", s.repeatWindowDays())
	}
	return created, nil
}

// RepeatNotice is the reason recorded with a request filed by a person who filed
// another within the configured window.
const RepeatNotice = "GDPR Art. 12(5) check: the same person filed earlier request(s) within the configured window; the operator judges whether this one is manifestly unfounded or excessive (nothing is refused automatically)"

func (s *Service) repeatWindowDays() int {
	if s.Config == nil {
		return config.Default().Requests.RepeatWindowDays
	}
	return s.Config.Requests.RepeatWindowDays
}

// earlier lists the requests of the person with subject reference ref received
// within the repeat window before at (found through the blind index), other than
// the request id.
func (s *Service) earlier(ctx context.Context, ops store.Ops, ref, id string, at time.Time) ([]store.Request, error) {
	days := s.repeatWindowDays()
	if days <= 0 || ref == "" {
		return nil, nil
	}
	rs, err := ops.ListRequests(ctx, store.RequestFilter{SubjectRef: ref, Limit: 1000})
	if err != nil {
		return nil, err
	}
	from := at.AddDate(0, 0, -days)
	var out []store.Request
	for _, r := range rs {
		if r.ID != id && !r.ReceivedAt.Before(from) && !r.ReceivedAt.After(at) {
			out = append(out, r)
		}
	}
	return out, nil
}

// EarlierRequests lists the requests the same person filed within the repeat
// window before r (GDPR Art. 12(5)), for the operator to judge whether r is
// manifestly unfounded or excessive.
func (s *Service) EarlierRequests(ctx context.Context, r store.Request) ([]store.Request, error) {
	return s.earlier(ctx, s.Store, r.SubjectRef, r.ID, r.ReceivedAt)
}

var channels = []string{"email", "web_form", "api", "intercom_ticket", "intercom_conversation", "phone", "mail", "in_person", "cli"}

func validChannel(c string) bool {
	for _, v := range channels {
		if v == c {
			return true
		}
	}
	return false
}

// requestNature is the §7101 "nature of the request".
func requestNature(t store.RequestType) string {
	if n, ok := rightsNature(t); ok {
		return n
	}
	switch t {
	case store.RequestAccess:
		return "access"
	case store.RequestErasure:
		return "deletion"
	default:
		return "access and deletion"
	}
}

func (s *Service) location() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return time.UTC
}

// Identifiers decrypts the identifiers a request was filed with. It fails with
// vault.ErrShredded once the request's key was destroyed.
func (s *Service) Identifiers(ctx context.Context, r store.Request) (Identifiers, error) {
	plain, err := s.Vault.With(s.Store).Decrypt(ctx, requestKeyID(r.ID), vault.AAD{Table: tableRequests, Column: colIdentifiers, Row: r.ID}, r.IdentifiersEnc)
	if err != nil {
		return Identifiers{}, fmt.Errorf("dsar: identifiers of %s: %w", r.ID, err)
	}
	var ids Identifiers
	if err := json.Unmarshal(plain, &ids); err != nil {
		return Identifiers{}, fmt.Errorf("dsar: identifiers of %s: %w", r.ID, err)
	}
	return ids, nil
}

// Get returns a request.
func (s *Service) Get(ctx context.Context, id string) (store.Request, error) {
	r, err := s.Store.GetRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return r, fmt.Errorf("%w: %s", ErrNotFound, shownID(id))
	}
	return r, err
}

// Clock rebuilds a request's legal clock (with its extension, if any).
func (s *Service) Clock(r store.Request) (deadline.Clock, error) {
	j, err := deadline.ParseJurisdiction(r.Jurisdiction)
	if err != nil {
		return deadline.Clock{}, err
	}
	c, err := s.Calculator.ComputeKind(clockKind(r.Type, Payload{}), j, r.ReceivedAt, s.location())
	if err != nil {
		return c, err
	}
	if !r.ExtendedDueAt.IsZero() {
		c.Extended = true
		c.Due = r.ExtendedDueAt.In(s.location())
		c.ExtensionReason = r.ExtensionReason
	}
	return c, nil
}

// Status reads a request's clock now.
func (s *Service) Status(r store.Request) (deadline.Status, error) {
	c, err := s.Clock(r)
	if err != nil {
		return deadline.Status{}, err
	}
	return s.Calculator.Status(c, s.now()), nil
}

// shownID returns a request id fit for an error message: ids of this package's own
// form (req_ and hex) as they are, anything else (which could be an identifier typed
// by mistake) withheld.
func shownID(id string) string {
	if len(id) == 36 && strings.HasPrefix(id, "req_") && strings.Trim(id[4:], "0123456789abcdef") == "" {
		return id
	}
	return "(the id given)"
}

// finishedStates are the final states of a request.
var finishedStates = []store.RequestState{store.StateCompleted, store.StateDenied, store.StateCancelled}

// Finished reports whether a request is in a final state.
func Finished(st store.RequestState) bool { return slices.Contains(finishedStates, st) }

// transition moves a request from one state to another and appends rec, in one
// transaction. mutate may change other fields of the request.
func (s *Service) transition(ctx context.Context, id string, allowed []store.RequestState, to store.RequestState, rec audit.Record, mutate func(*store.Request) error, tell ...MilestoneKind) (store.Request, error) {
	return s.transitionWithin(ctx, id, allowed, to, rec, mutate, nil, tell...)
}

// transitionWithin is transition that also runs within (when set) in the
// same transaction, after the request is updated and before the milestones.
func (s *Service) transitionWithin(ctx context.Context, id string, allowed []store.RequestState, to store.RequestState, rec audit.Record,
	mutate func(*store.Request) error, within func(ctx context.Context, tx store.Tx, r store.Request) error, tell ...MilestoneKind) (store.Request, error) {
	var out store.Request
	err := s.Store.InTx(ctx, func(tx store.Tx) error {
		r, err := tx.GetRequest(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, shownID(id))
		}
		if err != nil {
			return err
		}
		if Finished(r.State) {
			return fmt.Errorf("%w: %s is %s", ErrFinished, id, r.State)
		}
		ok := len(allowed) == 0
		for _, a := range allowed {
			ok = ok || a == r.State
		}
		if !ok {
			return fmt.Errorf("%w: %s is %s", ErrWrongState, id, r.State)
		}
		from := r.State
		if to != "" {
			r.State = to
		}
		if mutate != nil {
			if err := mutate(&r); err != nil {
				return err
			}
		}
		r.UpdatedAt = s.now()
		out, err = tx.UpdateRequest(ctx, r, from)
		if err != nil {
			return err
		}
		rec.Actor, rec.RequestID, rec.SubjectRef = s.actor(ctx), id, r.SubjectRef
		if rec.Outcome == "" {
			rec.Outcome = audit.OutcomeSuccess
		}
		if _, err = s.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		if within != nil {
			if err := within(ctx, tx, out); err != nil {
				return err
			}
		}
		for _, k := range tell {
			if _, err := s.milestone(ctx, tx, k, out, nil); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Verify records that the requester's identity was verified (proportionately, by
// the privacy team: GDPR Art. 12(6)), which allows the work to start.
// The level is LevelOf(method).
func (s *Service) Verify(ctx context.Context, id, method string) (store.Request, error) {
	return s.VerifyAt(ctx, id, method, LevelOf(method))
}

// VerifyAt is Verify at a stated level (the API's verify action). On a
// request already verified at the low level, a high level raises it
// (RaiseVerification).
func (s *Service) VerifyAt(ctx context.Context, id, method string, level store.VerificationLevel) (store.Request, error) {
	if method == "" {
		method = "unspecified"
	}
	if _, err := ParseLevel(string(level)); err != nil {
		return store.Request{}, err
	}
	if level == store.VerificationHigh {
		// A request verified to a reasonable degree only (the public form)
		// and now to a reasonably high one: raise its level.
		if cur, err := s.Store.GetRequest(ctx, id); err == nil && cur.State != store.StateReceived && cur.VerificationLevel == store.VerificationLow {
			return s.RaiseVerification(ctx, id, method)
		}
	}
	return s.transition(ctx, id, []store.RequestState{store.StateReceived}, store.StateVerified,
		audit.Record{Action: audit.ActionRequestVerified, Reason: "verified by " + method + levelSuffix(level)},
		func(r *store.Request) error {
			r.VerificationLevel = level
			if r.Approval == store.ApprovalRequired {
				// Four eyes: a second privacy officer approves before anything
				// is deleted (Approve).
				r.State = store.StateAwaitingApproval
			}
			return nil
		})
}

// Extend applies the single extension the law allows (GDPR: up to two months, before
// the first month ends; CCPA: 45 days, before day 45), with the reason given to the
// person.
func (s *Service) Extend(ctx context.Context, id string, by int, reason string) (store.Request, error) {
	// The reason goes into the audit record too, whose checker refuses personal data:
	// a reason naming the person rolls the whole extension back, so it is never
	// stored in clear in the request row either.
	return s.transition(ctx, id, nil, "", audit.Record{Action: audit.ActionRequestExtended, Reason: reason},
		func(r *store.Request) error {
			c, err := s.Clock(*r)
			if err != nil {
				return err
			}
			if by == 0 {
				// The full extension the request's law allows (GDPR: 2 months;
				// CCPA and the US states: 45 days; PIPEDA: 30 days).
				rules, err := deadline.RulesFor(c.Jurisdiction)
				if err != nil {
					return err
				}
				by = rules.Extension.N
				if c.Kind == deadline.KindAppeal {
					by = rules.AppealExtension.N
				}
			}
			c2, err := s.Calculator.Extend(c, s.now(), by, reason)
			if err != nil {
				return err
			}
			r.ExtendedDueAt, r.ExtensionReason = c2.Due.UTC(), reason
			return nil
		}, MilestoneExtended)
}

// Deny ends a request with a reason (a legal basis, e.g. "GDPR Art. 12(5)
// manifestly unfounded"); the reason is recorded as the §7101 denial reason and must
// not contain personal data.
func (s *Service) Deny(ctx context.Context, id, reason string) (store.Request, error) {
	if reason == "" {
		return store.Request{}, fmt.Errorf("%w: a denial needs a reason (the legal basis); it is shown to the requester", ErrInvalidRequest)
	}
	now := s.now()
	return s.transition(ctx, id, []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}, store.StateDenied,
		audit.Record{Action: audit.ActionRequestDenied, DenialReason: reason, ResponseDate: now, ResponseNature: "denied", Outcome: audit.OutcomeSuccess},
		func(r *store.Request) error { r.DenialReason, r.CompletedAt = reason, now; return nil }, MilestoneDenied)
}

// Cancel withdraws a request that has not started work (the requester withdrew it).
func (s *Service) Cancel(ctx context.Context, id string) (store.Request, error) {
	now := s.now()
	return s.transition(ctx, id, []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified}, store.StateCancelled,
		audit.Record{Action: audit.ActionRequestCancelled, ResponseDate: now, ResponseNature: "cancelled"},
		func(r *store.Request) error { r.CompletedAt = now; return nil })
}

// List lists requests with their clock status.
func (s *Service) List(ctx context.Context, f store.RequestFilter) ([]Listed, error) {
	rs, err := s.Store.ListRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(rs))
	for _, r := range rs {
		l := Listed{Request: r}
		if st, err := s.Status(r); err == nil {
			l.Status = st
		}
		out = append(out, l)
	}
	return out, nil
}

// Listed is a request with its clock read now.
type Listed struct {
	store.Request
	Status deadline.Status
}
