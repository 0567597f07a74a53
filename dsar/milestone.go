package dsar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// MilestoneKind names a point of a request's life the person is told of.
type MilestoneKind string

// The milestones (issue #14; GDPR Art. 12(3)-(4), CCPA §§7021, 7022, 7024).
const (
	// MilestoneAcknowledged: the request was received (CCPA: confirm within
	// 10 business days). The request's AcknowledgedAt is set when the
	// message is written.
	MilestoneAcknowledged MilestoneKind = "acknowledgement"
	// MilestoneExtended: the deadline was extended, with the reasons.
	MilestoneExtended MilestoneKind = "extension"
	// MilestoneDenied: the request was refused, with the basis and the right
	// to complain.
	MilestoneDenied MilestoneKind = "denial"
	// MilestoneCompleted: the request was answered (access: how to download;
	// erasure: what was deleted, what was kept and why).
	MilestoneCompleted MilestoneKind = "completion"
)

// Milestone is what a Messenger needs to write one message. Identifiers are
// the ones the request was filed with, decrypted inside the transaction
// (before an erasure destroys their key); the message goes to their first
// e-mail address, and none is written when there is none.
type Milestone struct {
	Kind        MilestoneKind
	Request     store.Request
	Identifiers Identifiers
	// Outcome is the completed request's outcome (MilestoneCompleted only).
	Outcome *Outcome
	// Recipients is how many recipients of the data are told of the change,
	// planned in this transaction (GDPR Art. 19, CCPA §7022(b), §7023(c)):
	// a correction's or restriction's completion only.
	Recipients int
}

// Messenger writes, inside tx, the message a milestone owes the person, and
// reports whether it wrote one. Package messages provides it.
type Messenger interface {
	Milestone(ctx context.Context, tx store.Tx, m Milestone) (bool, error)
}

// milestone tells the Messenger, inside tx, of a milestone of r. Nothing
// happens without a Messenger, or when the identifiers can no longer be read.
func (s *Service) milestone(ctx context.Context, tx store.Tx, kind MilestoneKind, r store.Request, out *Outcome) (bool, error) {
	return s.tell(ctx, tx, Milestone{Kind: kind, Request: r, Outcome: out})
}

// tell fills m's identifiers and hands m to the Messenger, inside tx. A
// request filed against another one (the lifting of a restriction, an
// appeal) holds no identifiers of its own: the message goes to the address
// the linked request was filed with.
func (s *Service) tell(ctx context.Context, tx store.Tx, m Milestone) (bool, error) {
	if s.Messenger == nil {
		return false, nil
	}
	src := m.Request
	if len(src.IdentifiersEnc) == 0 && src.LinkedRequestID != "" {
		linked, err := tx.GetRequest(ctx, src.LinkedRequestID)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		src = linked
	}
	if len(src.IdentifiersEnc) == 0 {
		return false, nil
	}
	ids, err := s.identifiersIn(ctx, tx, src)
	if errors.Is(err, vault.ErrShredded) || errors.Is(err, vault.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	m.Identifiers = ids
	return s.Messenger.Milestone(ctx, tx, m)
}

// acknowledge writes the acknowledgement of a request just filed inside tx
// and, when a message was written, sets AcknowledgedAt with its audit record.
func (s *Service) acknowledge(ctx context.Context, tx store.Tx, r store.Request) (store.Request, error) {
	sent, err := s.milestone(ctx, tx, MilestoneAcknowledged, r, nil)
	if err != nil || !sent {
		return r, err
	}
	prev := r.State
	r.AcknowledgedAt = s.now()
	r, err = tx.UpdateRequest(ctx, r, prev)
	if err != nil {
		return r, err
	}
	_, err = s.Chain.Append(ctx, tx, audit.Record{
		Actor: s.actor(ctx), Action: audit.ActionRequestAcknowledged, RequestID: r.ID, SubjectRef: r.SubjectRef,
		Outcome: audit.OutcomeSuccess, Reason: "receipt confirmed to the person by e-mail",
	})
	return r, err
}

// identifiersIn decrypts r's identifiers through tx.
func (s *Service) identifiersIn(ctx context.Context, tx store.Tx, r store.Request) (Identifiers, error) {
	plain, err := s.Vault.With(tx).Decrypt(ctx, requestKeyID(r.ID), vaultAAD(r.ID), r.IdentifiersEnc)
	if err != nil {
		return Identifiers{}, err
	}
	return decodeIdentifiers(r.ID, plain)
}

func vaultAAD(id string) vault.AAD {
	return vault.AAD{Table: tableRequests, Column: colIdentifiers, Row: id}
}

func decodeIdentifiers(id string, plain []byte) (Identifiers, error) {
	var ids Identifiers
	if err := json.Unmarshal(plain, &ids); err != nil {
		return Identifiers{}, fmt.Errorf("dsar: identifiers of %s: %w", id, err)
	}
	return ids, nil
}
