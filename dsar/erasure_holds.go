package dsar

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Legal holds and erasure.
//
// An active legal hold (`retention hold add`) on the request, on one of the
// person's contacts, or on the person, stops an erasure before any DELETE: every
// erasing step (tickets, conversations, contacts, the local purge and key
// destruction, suppression, and the verification, which deletes contacts found
// late) checks the holds before it starts, so a hold placed while an erasure runs
// stops it at the next step. The request is paused with the reason
// PauseLegalHold, once, with an audit record naming the holds and their reasons;
// the worker retries it, and once every covering hold is released the erasure
// resumes where it stopped (request.resumed is recorded).

// PauseLegalHold is the pause reason of an erasure stopped by a legal hold.
const PauseLegalHold = "legal_hold"

// ErrHeld is wrapped by *HeldError.
var ErrHeld = errors.New("dsar: a legal hold covers this erasure")

// HeldError reports the legal holds that stop an erasure. Hold reasons were
// checked for personal data when the holds were placed, so they are shown.
type HeldError struct {
	Holds []store.LegalHold
}

// Error names each hold and its reason, and how to resume.
func (e *HeldError) Error() string {
	parts := make([]string, 0, len(e.Holds))
	for _, h := range e.Holds {
		on := "the person"
		if h.RequestID != "" {
			on = "this request"
		}
		why := h.Reason
		if h.Basis != "" {
			why += "; basis " + h.Basis
		}
		parts = append(parts, fmt.Sprintf("%s on %s (%s)", h.ID, on, why))
	}
	return ErrHeld.Error() + ": " + strings.Join(parts, "; ") +
		"; nothing more is deleted until it is released (`intercom-privacy retention hold release ID`)"
}

// Unwrap returns ErrHeld.
func (e *HeldError) Unwrap() error { return ErrHeld }

// erasingSteps are the steps that delete, purge or suppress.
var erasingSteps = map[string]bool{
	StepDeleteTickets: true, StepDeleteConversations: true, StepRedactParts: true, StepDeleteContacts: true,
	StepPurgeLocal: true, StepDestroyKeys: true, StepSuppress: true, StepVerify: true,
}

// holdRefs are the keys a hold on the person is matched by: the request's subject
// reference, the subject reference of each identifier given and of each contact
// found (what `retention hold add --contact-id` stores for a contact not cached),
// and the person key of each cached contact (what it stores for a cached one).
func (r *runner) holdRefs(ctx context.Context, ops store.Ops) (map[string]bool, error) {
	refs := map[string]bool{}
	if r.req.SubjectRef != "" {
		refs[r.req.SubjectRef] = true
	}
	var ierr error
	add := func(kind vault.IndexKind, v string) {
		ref, err := r.s.Vault.SubjectRef(kind, v)
		if err != nil {
			ierr = err
			return
		}
		refs[ref] = true
	}
	r.ids.each(add)
	for _, id := range r.orderedContacts() {
		add(vault.KindContactID, id)
		c, err := ops.GetContact(ctx, id)
		switch {
		case err == nil && c.PersonKeyID != "":
			refs[c.PersonKeyID] = true
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	return refs, ierr
}

// coveringHolds returns the active holds on the request or the person.
func (r *runner) coveringHolds(ctx context.Context, ops store.Ops) ([]store.LegalHold, error) {
	holds, err := ops.ActiveLegalHolds(ctx)
	if err != nil || len(holds) == 0 {
		return nil, err
	}
	refs, err := r.holdRefs(ctx, ops)
	if err != nil {
		return nil, err
	}
	var out []store.LegalHold
	for _, h := range holds {
		if (r.id != "" && h.RequestID == r.id) || (h.SubjectRef != "" && refs[h.SubjectRef]) {
			out = append(out, h)
		}
	}
	return out, nil
}

// checkHolds fails with a *HeldError when a hold covers the erasure.
func (r *runner) checkHolds(ctx context.Context) error {
	holds, err := r.coveringHolds(ctx, r.s.Store)
	if err != nil {
		return fmt.Errorf("dsar: read legal holds: %w", err)
	}
	if len(holds) > 0 {
		return &HeldError{Holds: holds}
	}
	return nil
}

// holdIDs lists the ids of holds.
func holdIDs(hs []store.LegalHold) []string {
	out := make([]string, 0, len(hs))
	for _, h := range hs {
		out = append(out, h.ID)
	}
	slices.Sort(out)
	return out
}
