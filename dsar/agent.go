package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Authorised agents (CCPA Regs §7063).
//
// A request filed on the public form by an authorised agent carries the
// agent's signed permission (a PDF, PNG or JPEG the form checked). The person
// still confirms the request from their own mailbox (the verification mail
// goes to them, never to the agent); once they do, the form's filing moves
// the permission onto the request (AttachAgent): the document and the
// agent's name and address are encrypted under the request's own key, so an
// erasure's key destruction takes them too. The request's run waits
// (ErrAgentPending) until an operator decides: DecideAgent accepts the
// permission (the run goes on) or refuses it, which denies the request with
// the §7063 letter to the person. A privacy officer may download the document
// (AgentDocument); the download is audited. No agent detail is ever in the
// audit trail or a View.

// Agent is who filed a request for someone: as they typed it on the form.
type Agent struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// DenyAgentPermission is the denial reason of a request whose agent's
// permission an operator refused (CCPA Regs §7063(a)).
const DenyAgentPermission = "The request was made for you by someone acting as your authorised agent, and the signed permission they gave us " +
	"does not show that you authorised them (California Consumer Privacy Act Regulations, section 7063(a)). " +
	"You can make the request yourself, or ask your agent to send us a permission signed by you."

// Errors of the agents' part.
var (
	// ErrAgentPending: the run waits for an operator's decision on the
	// agent's permission (it is an ErrNotVerified: the job snoozes).
	ErrAgentPending = fmt.Errorf("%w: the authorised agent's signed permission waits for an operator's decision ('dsar agent accept|refuse')", ErrNotVerified)
	// ErrStepUpOffered: the person was offered to verify to the higher
	// level and has not answered yet; the run waits until they do or the
	// offer expires (an ErrNotVerified: the job snoozes).
	ErrStepUpOffered = fmt.Errorf("%w: the person is offered the higher verification level and has not answered yet", ErrNotVerified)
	// ErrNoAgent: the request was not filed by an authorised agent.
	ErrNoAgent = errors.New("dsar: the request was not filed by an authorised agent")
	// ErrAgentDecided: the permission was already accepted or refused.
	ErrAgentDecided = errors.New("dsar: the authorised agent's permission was already decided")
	// ErrAgentRole: only a privacy officer reads an agent's permission.
	ErrAgentRole = errors.New("dsar: only a privacy officer may download an authorised agent's permission")
)

func agentAAD(id, column string) vault.AAD {
	return vault.AAD{Table: "agent_permissions", Column: column, Row: id}
}

// AttachAgent moves the permission p, uploaded with the intake just
// confirmed, onto the request r inside the filing's transaction tx
// (Submission.Within): doc and agent are encrypted under the request's key.
func (s *Service) AttachAgent(ctx context.Context, tx store.Tx, r store.Request, p store.AgentPermission, doc []byte, agent Agent) error {
	v := s.Vault.With(tx)
	docEnc, err := v.Encrypt(ctx, requestKeyID(r.ID), agentAAD(p.ID, "document_enc"), doc)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(agent)
	if err != nil {
		return err
	}
	agentEnc, err := v.Encrypt(ctx, requestKeyID(r.ID), agentAAD(p.ID, "agent_enc"), plain)
	if err != nil {
		return err
	}
	next := p
	next.RequestID, next.DocumentEnc, next.AgentEnc = r.ID, docEnc, agentEnc
	if err := tx.UpdateAgentPermission(ctx, next, store.AgentPending); err != nil {
		return err
	}
	_, err = s.Chain.Append(ctx, tx, audit.Record{
		Actor: s.actor(ctx), Action: audit.ActionRequestStep, RequestID: r.ID, SubjectRef: r.SubjectRef, ObjectIDs: []string{p.ID},
		Outcome: audit.OutcomeSuccess, Counts: map[string]int64{"permission_bytes": p.Size},
		Reason: "filed by an authorised agent (CCPA Regs section 7063): signed permission received; the work waits for an operator to accept it",
	})
	return err
}

// AgentView is an authorised agent's permission as shown: no agent detail,
// no document.
type AgentView struct {
	ID         string     `json:"id"`
	State      string     `json:"state"`
	MediaType  string     `json:"media_type"`
	Size       int64      `json:"size"`
	UploadedAt time.Time  `json:"uploaded_at"`
	DecidedBy  string     `json:"decided_by,omitempty"`
	DecidedAt  *time.Time `json:"decided_at,omitempty"`
}

// AgentOf returns the view of the permission of request id, nil when it was
// not filed by an agent.
func (s *Service) AgentOf(ctx context.Context, id string) (*AgentView, error) {
	p, err := s.Store.AgentPermissionByRequest(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &AgentView{ID: p.ID, State: string(p.State), MediaType: p.MediaType, Size: p.Size, UploadedAt: p.CreatedAt,
		DecidedBy: p.DecidedBy, DecidedAt: timePtr(p.DecidedAt)}, nil
}

// AgentDocument returns the signed permission of request id and its media
// type, and records the download in the audit trail in the same
// transaction. Through the console or the API (ctx carries a principal) only
// a privacy officer may (ErrAgentRole).
func (s *Service) AgentDocument(ctx context.Context, id string) (mediaType string, doc []byte, err error) {
	if p, web := authz.PrincipalFrom(ctx); web && !p.Has(authz.RolePrivacyOfficer) {
		return "", nil, ErrAgentRole
	}
	err = s.Store.InTx(ctx, func(tx store.Tx) error {
		r, err := tx.GetRequest(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrNotFound, shownID(id))
		}
		if err != nil {
			return err
		}
		p, err := tx.AgentPermissionByRequest(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w (%s)", ErrNoAgent, id)
		}
		if err != nil {
			return err
		}
		doc, err = s.Vault.With(tx).Decrypt(ctx, requestKeyID(id), agentAAD(p.ID, "document_enc"), p.DocumentEnc)
		if err != nil {
			return fmt.Errorf("dsar: the permission of %s cannot be read (its key was destroyed with the request's data?): %w", id, err)
		}
		mediaType = p.MediaType
		_, err = s.Chain.Append(ctx, tx, audit.Record{
			Actor: s.actor(ctx), Action: audit.ActionAgentPermissionRead, RequestID: id, SubjectRef: r.SubjectRef, ObjectIDs: []string{p.ID},
			Outcome: audit.OutcomeSuccess, Counts: map[string]int64{"bytes": int64(len(doc))},
			Reason: "authorised agent's signed permission downloaded by an operator",
		})
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return mediaType, doc, nil
}

// DecideAgent accepts or refuses the permission of the agent who filed
// request id. Accepted, the request's run goes on (it is queued again).
// Refused, the request is denied in the same transaction with
// DenyAgentPermission (and note, when given, after it), and the person gets
// the denial letter. Either decision is audited with the operator as actor.
func (s *Service) DecideAgent(ctx context.Context, id string, accept bool, note string) (store.Request, error) {
	now := s.now()
	decide := func(ctx context.Context, tx store.Tx, r store.Request) error {
		p, err := tx.AgentPermissionByRequest(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w (%s)", ErrNoAgent, id)
		}
		if err != nil {
			return err
		}
		if p.State != store.AgentPending {
			return fmt.Errorf("%w (%s: %s)", ErrAgentDecided, id, p.State)
		}
		next := p
		next.State, next.DecidedBy, next.DecidedAt = store.AgentRefused, s.actor(ctx), now
		reason := "authorised agent's signed permission refused (CCPA Regs section 7063)"
		if accept {
			next.State, reason = store.AgentAccepted, "authorised agent's signed permission accepted (CCPA Regs section 7063)"
		}
		if err := tx.UpdateAgentPermission(ctx, next, store.AgentPending); err != nil {
			return err
		}
		_, err = s.Chain.Append(ctx, tx, audit.Record{
			Actor: s.actor(ctx), Action: audit.ActionAgentPermissionDecided, RequestID: id, SubjectRef: r.SubjectRef, ObjectIDs: []string{p.ID},
			Outcome: audit.OutcomeSuccess, Reason: reason,
		})
		return err
	}
	if accept {
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
			out = r
			return decide(ctx, tx, r)
		})
		if err != nil {
			return store.Request{}, err
		}
		if s.Enqueue != nil && (out.State == store.StateVerified || out.State == store.StateInProgress) {
			if err := s.Enqueue(ctx, out.ID); err != nil {
				return out, &FiledError{Request: out, Stage: "enqueue", Err: err}
			}
		}
		return out, nil
	}
	reason := DenyAgentPermission
	if note != "" {
		reason += " " + note
	}
	return s.transitionWithin(ctx, id, []store.RequestState{store.StateReceived, store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}, store.StateDenied,
		audit.Record{Action: audit.ActionRequestDenied, DenialReason: reason, ResponseDate: now, ResponseNature: "denied", Outcome: audit.OutcomeSuccess},
		func(r *store.Request) error { r.DenialReason, r.CompletedAt = reason, now; return nil }, decide, MilestoneDenied)
}

// waitingForPerson reports why the run of r must wait for a person: an
// agent's permission not yet decided (ErrAgentPending), or an open offer to
// verify to the higher level (ErrStepUpOffered).
func (s *Service) waitingForPerson(ctx context.Context, r store.Request) error {
	p, err := s.Store.AgentPermissionByRequest(ctx, r.ID)
	switch {
	case err == nil && p.State == store.AgentPending:
		return fmt.Errorf("%w (%s)", ErrAgentPending, r.ID)
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	}
	if r.VerificationLevel != store.VerificationLow {
		return nil
	}
	_, err = s.Store.OpenStepUp(ctx, r.ID, s.now())
	switch {
	case err == nil:
		return fmt.Errorf("%w (%s)", ErrStepUpOffered, r.ID)
	case errors.Is(err, store.ErrNotFound):
		return nil
	}
	return err
}
