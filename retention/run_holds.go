package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Errors of legal holds, for errors.Is.
var (
	// ErrHoldTarget: a hold must name exactly one of a contact id and a
	// request id, each 1 to 128 of [A-Za-z0-9_.:-].
	ErrHoldTarget = errors.New("retention: a legal hold names exactly one of --contact-id, --request-id, --ticket-id, --conversation-id and --keep-contact-id (1 to 128 of A-Z a-z 0-9 _ . : -); a hold on one object needs --basis")
	// ErrHoldBasis: the basis of a hold on one object is not a known code.
	ErrHoldBasis = errors.New("retention: unknown basis for a hold on one object (valid: " + jurisdiction.BasisList() + ")")
	// ErrHoldReason: the reason is missing or may carry personal data (the
	// audit trail refuses it); nothing was written.
	ErrHoldReason = errors.New("retention: legal hold reason refused")
	// ErrHoldNotFound: no active hold has that id.
	ErrHoldNotFound = errors.New("retention: no active legal hold with that id (`retention hold list` shows them)")
	// ErrRequestNotFound: a hold names a request that does not exist.
	ErrRequestNotFound = errors.New("retention: no privacy request with that id (`dsar list` shows them)")
)

// HoldTarget is what a legal hold protects: a person, named by an Intercom
// contact id, or a privacy request (retention skips their data, an erasure
// stops); or one Intercom object (a ticket, a conversation, or one contact of
// the person: KeepContactID) that an erasure keeps while it erases the rest.
// Exactly one of the ids is set.
type HoldTarget struct {
	ContactID      string
	RequestID      string
	TicketID       string
	ConversationID string
	KeepContactID  string
	// Basis is a jurisdiction.Basis code (legal_claims, legal_obligation,
	// security_incident, ...), which the person is told: required for a hold
	// on one object, optional on a person or a request.
	Basis string
}

// Hold is a legal hold as this package shows it.
type Hold struct {
	ID string `json:"id"`
	// Kind is "person", "request", or the kind of the one object held
	// ("ticket", "conversation", "contact").
	Kind string `json:"kind"`
	// ObjectID and Basis describe a hold on one object.
	ObjectID string `json:"object_id,omitempty"`
	Basis    string `json:"basis,omitempty"`
	// Rule names the erasure exception that recorded it (with RequestID).
	Rule string `json:"rule,omitempty"`
	// KeepUntil ends an exception's hold.
	KeepUntil time.Time `json:"keep_until,omitzero"`
	// SubjectRef is the key a person hold is matched by (see HoldKey).
	SubjectRef string    `json:"subject_ref,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	Reason     string    `json:"reason"`
	CreatedAt  time.Time `json:"created_at"`
	// ReleasedAt is zero while the hold is active.
	ReleasedAt time.Time `json:"released_at,omitzero"`
}

func validID(s string) bool {
	if s == "" || len(s) > audit.MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// HoldKey returns the key a legal hold on a contact is matched by: the
// person key id of the contact's cached copy when the store has one, else
// the vault's subject reference of the contact id (a keyed HMAC, never the id
// itself), which is the person key id the contact sync and the webhook
// receiver store the contact's rows under (contactsync.PersonKeyID), so a
// hold placed before the contact is synced covers it too. Rows are matched by
// their PersonKeyID column: a hold covers the contact's cached profile and
// every conversation, webhook event and file kept under the same person key.
// Access packages are kept under their request's key: hold the request.
func (r *Runner) HoldKey(ctx context.Context, ops store.Ops, contactID string) (key, subjectRef string, err error) {
	if r.Vault == nil {
		return "", "", fmt.Errorf("%w: a hold on a contact needs the Vault", ErrNotConfigured)
	}
	subjectRef, err = r.Vault.SubjectRef(vault.KindContactID, contactID)
	if err != nil {
		return "", "", fmt.Errorf("retention: derive the contact's subject reference: %w", err)
	}
	c, err := ops.GetContact(ctx, contactID)
	switch {
	case err == nil && c.PersonKeyID != "":
		return c.PersonKeyID, subjectRef, nil
	case err == nil || errors.Is(err, store.ErrNotFound):
		return subjectRef, subjectRef, nil
	}
	return "", "", fmt.Errorf("retention: look up the contact: %w", err)
}

// AddHold places a legal hold: until it is released, retention runs skip the
// data it covers. The hold and its legal_hold.added audit record commit in one
// transaction; the reason is checked as audit free text (no personal data: no
// e-mail, phone, long numbers, names the PII engine finds) and the hold is
// refused with ErrHoldReason otherwise.
func (r *Runner) AddHold(ctx context.Context, t HoldTarget, reason string) (Hold, error) {
	if err := r.check(); err != nil {
		return Hold{}, err
	}
	if t.TicketID != "" || t.ConversationID != "" || t.KeepContactID != "" {
		return r.addObjectHold(ctx, t, reason)
	}
	if (t.ContactID == "") == (t.RequestID == "") || (t.ContactID != "" && !validID(t.ContactID)) ||
		(t.RequestID != "" && !validID(t.RequestID)) {
		return Hold{}, ErrHoldTarget
	}
	if t.Basis != "" && !jurisdiction.ValidBasis(jurisdiction.Basis(t.Basis)) {
		return Hold{}, ErrHoldBasis
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Hold{}, fmt.Errorf("%w: give a reason (e.g. \"litigation hold, case 2026-17\")", ErrHoldReason)
	}
	rec := audit.Record{Actor: r.actor(ctx), Action: audit.ActionLegalHoldAdded, Outcome: audit.OutcomeSuccess, Reason: reason}
	if t.Basis != "" {
		rec.Reason += " (basis: " + t.Basis + ")"
	}
	if err := r.Chain.Validate(&rec); err != nil {
		return Hold{}, reasonError(err)
	}
	var out Hold
	err := r.Store.InTx(ctx, func(tx store.Tx) error {
		h := store.LegalHold{Reason: reason, Basis: t.Basis, CreatedAt: r.now()}
		rec := rec
		if t.ContactID != "" {
			key, ref, err := r.HoldKey(ctx, tx, t.ContactID)
			if err != nil {
				return err
			}
			h.SubjectRef, rec.SubjectRef = key, ref
		} else {
			if _, err := tx.GetRequest(ctx, t.RequestID); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return ErrRequestNotFound
				}
				return err
			}
			h.RequestID, rec.RequestID = t.RequestID, t.RequestID
		}
		h, err := tx.AddLegalHold(ctx, h)
		if err != nil {
			return err
		}
		rec.ObjectIDs = []string{h.ID}
		if _, err := r.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		out = holdOf(h)
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrRequestNotFound) || errors.Is(err, ErrNotConfigured) {
			return Hold{}, err
		}
		return Hold{}, fmt.Errorf("retention: add legal hold: %w", err)
	}
	return out, nil
}

// ReleaseHold ends an active hold; the release and its legal_hold.released
// audit record commit in one transaction. The data the hold kept is deleted
// by the next run if it is past its age. It fails with ErrHoldNotFound when no
// active hold has the id.
func (r *Runner) ReleaseHold(ctx context.Context, id, reason string) (Hold, error) {
	if err := r.check(); err != nil {
		return Hold{}, err
	}
	if !validID(id) {
		return Hold{}, ErrHoldNotFound
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "released"
	}
	if strings.HasPrefix(id, "ohold_") {
		return r.releaseObjectHold(ctx, id, reason)
	}
	rec := audit.Record{Actor: r.actor(ctx), Action: audit.ActionLegalHoldReleased, Outcome: audit.OutcomeSuccess,
		Reason: reason, ObjectIDs: []string{id}}
	if err := r.Chain.Validate(&rec); err != nil {
		return Hold{}, reasonError(err)
	}
	var out Hold
	err := r.Store.InTx(ctx, func(tx store.Tx) error {
		holds, err := tx.ActiveLegalHolds(ctx)
		if err != nil {
			return err
		}
		var found *store.LegalHold
		for i := range holds {
			if holds[i].ID == id {
				found = &holds[i]
			}
		}
		if found == nil {
			return ErrHoldNotFound
		}
		at := r.now()
		ok, err := tx.ReleaseLegalHold(ctx, id, at)
		if err != nil {
			return err
		}
		if !ok {
			return ErrHoldNotFound
		}
		rec := rec
		rec.RequestID = found.RequestID
		if found.SubjectRef != "" && len(found.SubjectRef) == 64 && strings.Trim(found.SubjectRef, "0123456789abcdef") == "" {
			rec.SubjectRef = found.SubjectRef
		}
		if _, err := r.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		out = holdOf(*found)
		out.ReleasedAt = at.UTC()
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrHoldNotFound) {
			return Hold{}, err
		}
		return Hold{}, fmt.Errorf("retention: release legal hold: %w", err)
	}
	return out, nil
}

// Holds lists the active legal holds, oldest first.
func (r *Runner) Holds(ctx context.Context) ([]Hold, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	hs, err := r.Store.ActiveLegalHolds(ctx)
	if err != nil {
		return nil, fmt.Errorf("retention: list legal holds: %w", err)
	}
	out := make([]Hold, 0, len(hs))
	for _, h := range hs {
		out = append(out, holdOf(h))
	}
	ohs, err := r.Store.ActiveObjectHolds(ctx, r.now(), "")
	if err != nil {
		return nil, fmt.Errorf("retention: list object holds: %w", err)
	}
	for _, h := range ohs {
		out = append(out, objectHoldOf(h))
	}
	return out, nil
}

// reasonError explains why the audit trail refuses a reason, without
// quoting it.
func reasonError(err error) error {
	var fe *audit.FieldError
	if errors.As(err, &fe) && fe.Field == string(audit.FieldReason) {
		return fmt.Errorf("%w: it %s; say why without personal data (e.g. \"litigation hold, case 2026-17\")", ErrHoldReason, fe.Problem)
	}
	return fmt.Errorf("%w: %w", ErrHoldReason, err)
}

func holdOf(h store.LegalHold) Hold {
	k := "person"
	if h.RequestID != "" {
		k = "request"
	}
	return Hold{ID: h.ID, Kind: k, SubjectRef: h.SubjectRef, RequestID: h.RequestID, Reason: h.Reason, Basis: h.Basis,
		CreatedAt: h.CreatedAt.UTC(), ReleasedAt: h.ReleasedAt.UTC()}
}

// addObjectHold places a hold on one Intercom object with its basis: an
// erasure keeps the object (no DELETE, no redaction) and erases the rest. The
// hold and its legal_hold.added audit record (the object as "<kind>:<id>",
// the basis code in the reason) commit in one transaction.
func (r *Runner) addObjectHold(ctx context.Context, t HoldTarget, reason string) (Hold, error) {
	h := store.ObjectHold{Basis: t.Basis}
	n := 0
	for _, c := range []struct{ kind, id string }{{store.ObjectContact, t.KeepContactID}, {store.ObjectTicket, t.TicketID},
		{store.ObjectConversation, t.ConversationID}, {"", t.ContactID}} {
		if c.id != "" {
			h.ObjectType, h.ObjectID = c.kind, c.id
			n++
		}
	}
	if n != 1 || h.ObjectType == "" || t.RequestID != "" || !validID(h.ObjectID) {
		return Hold{}, ErrHoldTarget
	}
	if !jurisdiction.ValidBasis(jurisdiction.Basis(t.Basis)) {
		return Hold{}, ErrHoldBasis
	}
	h.Reason = strings.TrimSpace(reason)
	if h.Reason == "" {
		return Hold{}, fmt.Errorf("%w: give a reason (e.g. \"billing dispute, case 2026-17\")", ErrHoldReason)
	}
	rec := audit.Record{Actor: r.actor(ctx), Action: audit.ActionLegalHoldAdded, Outcome: audit.OutcomeSuccess,
		Reason: h.Reason + " (basis: " + h.Basis + ")"}
	if err := r.Chain.Validate(&rec); err != nil {
		return Hold{}, reasonError(err)
	}
	var out Hold
	err := r.Store.InTx(ctx, func(tx store.Tx) error {
		h.CreatedAt = r.now()
		added, err := tx.AddObjectHold(ctx, h)
		if err != nil {
			return err
		}
		rec := rec
		rec.ObjectIDs = []string{added.ID, added.ObjectType + ":" + added.ObjectID}
		if _, err := r.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		out = objectHoldOf(added)
		return nil
	})
	if err != nil {
		return Hold{}, fmt.Errorf("retention: add legal hold: %w", err)
	}
	return out, nil
}

// releaseObjectHold ends a hold on one object, with its audit record.
func (r *Runner) releaseObjectHold(ctx context.Context, id, reason string) (Hold, error) {
	rec := audit.Record{Actor: r.actor(ctx), Action: audit.ActionLegalHoldReleased, Outcome: audit.OutcomeSuccess,
		Reason: reason, ObjectIDs: []string{id}}
	if err := r.Chain.Validate(&rec); err != nil {
		return Hold{}, reasonError(err)
	}
	var out Hold
	err := r.Store.InTx(ctx, func(tx store.Tx) error {
		hs, err := tx.ActiveObjectHolds(ctx, r.now(), "")
		if err != nil {
			return err
		}
		i := slices.IndexFunc(hs, func(h store.ObjectHold) bool { return h.ID == id })
		if i < 0 {
			return ErrHoldNotFound
		}
		at := r.now()
		if ok, err := tx.ReleaseObjectHold(ctx, id, at); err != nil {
			return err
		} else if !ok {
			return ErrHoldNotFound
		}
		rec := rec
		rec.RequestID = hs[i].RequestID
		rec.ObjectIDs = append(rec.ObjectIDs, hs[i].ObjectType+":"+hs[i].ObjectID)
		if _, err := r.Chain.Append(ctx, tx, rec); err != nil {
			return err
		}
		out = objectHoldOf(hs[i])
		out.ReleasedAt = at.UTC()
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrHoldNotFound) {
			return Hold{}, err
		}
		return Hold{}, fmt.Errorf("retention: release legal hold: %w", err)
	}
	return out, nil
}

func objectHoldOf(h store.ObjectHold) Hold {
	return Hold{ID: h.ID, Kind: h.ObjectType, ObjectID: h.ObjectID, Basis: h.Basis, Rule: h.Rule, RequestID: h.RequestID,
		Reason: h.Reason, KeepUntil: h.KeepUntil.UTC(), CreatedAt: h.CreatedAt.UTC(), ReleasedAt: h.ReleasedAt.UTC()}
}
