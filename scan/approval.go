package scan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/authz"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Redactions through the console (issue #13) follow its four-eyes rule for
// erasures: a person proposes the redactions a run would send (Propose), a
// second person, a privacy officer or an admin who did not propose them,
// approves or rejects each (Decide), and only approved ones are sent
// (RedactOptions.ApprovedOnly). Every step is an audit record naming the actor
// (user:<id>) and the part's ids, in the transaction of the change. The
// console's pages call these; `scan redact` from the command line needs no
// approval but leaves parts awaiting a decision, and rejected ones, alone.

var (
	// ErrNotAllowed: the principal's role may not do this, or it would approve
	// its own proposal.
	ErrNotAllowed = errors.New("scan: not allowed")
	// ErrNotAwaiting: the redaction is not awaiting a decision (decided
	// before, or never proposed). It matches store.ErrStateConflict too.
	ErrNotAwaiting = errors.New("scan: the redaction is not awaiting a decision")
)

// ProposeResult is what Propose recorded.
type ProposeResult struct {
	// Proposed are the parts now awaiting a decision; Already counts the parts
	// that had a redaction recorded before (proposed, queued or done).
	Proposed []store.Redaction
	Already  int
	// Remaining parts were left for another proposal by Max.
	Remaining int
}

// Propose records, as proposed by p, the parts a run with opts would redact
// (opts.Types, AuthorRoles, Max and Yes; DryRun and ApprovedOnly are ignored).
// Nothing is sent. Agents, privacy officers and admins may propose.
func (r *Redactor) Propose(ctx context.Context, p authz.Principal, opts RedactOptions) (ProposeResult, error) {
	var res ProposeResult
	if !p.Has(authz.RoleAgent, authz.RolePrivacyOfficer, authz.RoleAdmin) {
		return res, fmt.Errorf("%w: proposing a redaction needs the agent, privacy_officer or admin role", ErrNotAllowed)
	}
	sc, err := scansOf(r.Store)
	if err != nil {
		return res, err
	}
	types := opts.Types
	if types == nil {
		types = DefaultRedactTypes
	}
	targets, err := sc.RedactionTargets(ctx, typeNames(types), opts.AuthorRoles)
	if err != nil {
		return res, err
	}
	limit := opts.Max
	if limit == 0 {
		limit = DefaultMaxPerRun
	}
	if !opts.Yes && len(targets) > limit {
		res.Remaining = len(targets) - limit
		targets = targets[:limit]
	}
	actor := p.Actor()
	for _, t := range targets {
		t.Origin, t.ProposedBy = "console", actor
		err := r.Store.InTx(ctx, func(tx store.Tx) error {
			ok, err := tx.(store.Scans).ProposeRedaction(ctx, t)
			if err != nil || !ok {
				if !ok {
					res.Already++
				}
				return err
			}
			_, err = r.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionScanRedactionProposed,
				ObjectIDs: []string{t.ConversationID, t.PartID}, Outcome: audit.OutcomeSuccess,
				Reason: fmt.Sprintf("%s of a %s holding %s; awaits a second person's approval", t.PartKind, t.AuthorRole, strings.ToLower(t.Types))})
			return err
		})
		if err != nil {
			return res, err
		}
		t.Approval = store.ApprovalProposed
		res.Proposed = append(res.Proposed, t)
	}
	return res, nil
}

// Awaiting lists up to limit redactions with the given approval
// (store.ApprovalProposed: the console's queue), oldest first.
func (r *Redactor) Awaiting(ctx context.Context, a store.Approval, limit int) ([]store.Redaction, error) {
	sc, err := scansOf(r.Store)
	if err != nil {
		return nil, err
	}
	return sc.RedactionsAwaiting(ctx, a, limit)
}

// Decide approves or rejects one proposed redaction as p, without a reason
// (DecideBecause).
func (r *Redactor) Decide(ctx context.Context, p authz.Principal, conversationID, partID string, approve bool) (store.Redaction, error) {
	return r.decide(ctx, p, conversationID, partID, approve, "", false)
}

// ErrNeedReason: a rejection names its reason.
var ErrNeedReason = errors.New("scan: say why the redaction is rejected")

// DecideBecause approves or rejects one proposed redaction as p: a privacy
// officer or an admin who did not propose it. The decision and its audit
// record commit together; a refusal for the proposer is recorded too. reason
// (required to reject) goes into the audit record: the audit trail refuses
// it (audit.ErrPersonalData) if it holds personal data or a run of digits.
func (r *Redactor) DecideBecause(ctx context.Context, p authz.Principal, conversationID, partID string, approve bool, reason string) (store.Redaction, error) {
	return r.decide(ctx, p, conversationID, partID, approve, reason, true)
}

func (r *Redactor) decide(ctx context.Context, p authz.Principal, conversationID, partID string, approve bool, reason string, needReason bool) (store.Redaction, error) {
	sc, err := scansOf(r.Store)
	if err != nil {
		return store.Redaction{}, err
	}
	if !p.Has(authz.RolePrivacyOfficer, authz.RoleAdmin) {
		return store.Redaction{}, fmt.Errorf("%w: approving a redaction needs the privacy_officer or admin role", ErrNotAllowed)
	}
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" && needReason {
		return store.Redaction{}, ErrNeedReason
	}
	x, err := sc.GetRedaction(ctx, conversationID, partID)
	if err != nil {
		return x, err
	}
	if x.Approval != store.ApprovalProposed {
		return x, fmt.Errorf("%w (%w)", ErrNotAwaiting, store.ErrStateConflict)
	}
	actor := p.Actor()
	if x.ProposedBy == actor {
		_ = r.Store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
			_, err := r.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionScanRedactionDecided,
				ObjectIDs: []string{conversationID, partID}, Outcome: audit.OutcomeFailure, Reason: "refused: the proposer cannot approve"})
			return err
		})
		return x, fmt.Errorf("%w: a redaction is approved by someone other than the person who proposed it", ErrNotAllowed)
	}
	decision, outcome, why := store.ApprovalRejected, audit.OutcomeNoop, "rejected: nothing will be sent"
	if approve {
		decision, outcome, why = store.ApprovalApproved, audit.OutcomeSuccess, "approved: the next redaction run sends it"
	}
	if reason != "" {
		why += "; reason: " + reason
	}
	now := r.now()
	err = r.Store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.(store.Scans).DecideRedaction(ctx, conversationID, partID, decision, actor, now); err != nil {
			return err
		}
		_, err := r.Chain.Append(ctx, tx, audit.Record{Actor: actor, Action: audit.ActionScanRedactionDecided,
			ObjectIDs: []string{conversationID, partID}, Outcome: outcome, Reason: why})
		return err
	})
	if errors.Is(err, store.ErrStateConflict) {
		return x, fmt.Errorf("%w (%w)", ErrNotAwaiting, err)
	}
	if err != nil {
		return x, err
	}
	x.Approval, x.DecidedBy, x.DecidedAt = decision, actor, now
	return x, nil
}
