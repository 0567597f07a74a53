package dsar

import (
	"context"
	"fmt"
	"strings"

	"github.com/intercom-privacy/intercom-privacy/audit"
	"github.com/intercom-privacy/intercom-privacy/deadline"
	"github.com/intercom-privacy/intercom-privacy/jurisdiction"
	"github.com/intercom-privacy/intercom-privacy/store"
)

// Identity verification levels (CCPA Regs §7062).
//
// The public form verifies to a reasonable degree only (VerificationLow): the
// person followed the link mailed to the address, and the address matches an
// Intercom contact. An operator who verifies states a method; LevelOf decides
// its level. The methods that name the e-mail link alone (MethodEmailLink and
// its spellings) are low; any other stated method is an operator's own check
// by hand (a second data point matched against Intercom, a code sent to the
// contact's phone, an answer checked, a signed declaration), which the
// operator answers for and the audit trail records, and is high.
//
// Only a law whose row tiers verification (jurisdiction.Verification.Tiered:
// CCPA) limits a low-level access request to the categories-only answer
// (§7024). GDPR has no such tiering: Art. 12(6) lets the controller ask for
// more information when it doubts the identity, but a verified request gets
// the copy (Art. 15(3)); so do the other US state laws, whose rows set one
// standard ("commercially reasonable efforts") for every answer.

// MethodEmailLink is the method the public form records: the mailed link or
// code.
const MethodEmailLink = "email_link"

// LevelOf returns the verification level of a method an operator states.
func LevelOf(method string) store.VerificationLevel {
	m := strings.Join(strings.FieldsFunc(strings.ToLower(method), func(r rune) bool {
		return r == ' ' || r == '_' || r == '-' || r == '\t'
	}), " ")
	switch m {
	case "email link", "email", "e mail", "e mail link", "email code", "web form":
		return store.VerificationLow
	}
	return store.VerificationHigh
}

// ParseLevel parses "low" or "high" (a typed ErrInvalidRequest otherwise).
func ParseLevel(s string) (store.VerificationLevel, error) {
	switch l := store.VerificationLevel(strings.ToLower(strings.TrimSpace(s))); l {
	case store.VerificationLow, store.VerificationHigh:
		return l, nil
	}
	return "", fmt.Errorf("%w: the verification level must be %q or %q", ErrInvalidRequest, store.VerificationLow, store.VerificationHigh)
}

// effectiveLevel is the level a request is handled at: requests verified
// before levels were recorded were all treated as fully verified.
func effectiveLevel(r store.Request) store.VerificationLevel {
	if r.VerificationLevel == "" {
		return store.VerificationHigh
	}
	return r.VerificationLevel
}

// CategoriesOnly reports whether an access request gets the categories-only
// answer: verified to a reasonable degree only, under a law that tiers
// verification.
func CategoriesOnly(r store.Request) bool {
	if r.Type != store.RequestAccess || effectiveLevel(r) != store.VerificationLow {
		return false
	}
	info, err := jurisdiction.For(deadline.Jurisdiction(r.Jurisdiction))
	return err == nil && info.Verification.Tiered
}

// RaiseVerification records a reasonably high degree of certainty for a
// request verified to a reasonable degree only (the person answered with a
// second data point, or an operator checked by hand), by method. It is
// allowed until the request completes; an access package already built at
// the low level is not rebuilt (file a new request for the full copy).
func (s *Service) RaiseVerification(ctx context.Context, id, method string) (store.Request, error) {
	if method == "" {
		return store.Request{}, fmt.Errorf("%w: say how the identity was verified to the higher level", ErrInvalidRequest)
	}
	return s.transition(ctx, id, []store.RequestState{store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}, "",
		audit.Record{Action: audit.ActionRequestVerified, Reason: "verified to a reasonably high degree by " + method},
		func(r *store.Request) error {
			if r.VerificationLevel != store.VerificationLow {
				return fmt.Errorf("%w: %s is not verified at the low level", ErrWrongState, id)
			}
			r.VerificationLevel = store.VerificationHigh
			return nil
		})
}

// levelSuffix is what the audit reason says of the level.
func levelSuffix(l store.VerificationLevel) string {
	if l == store.VerificationLow {
		return " (reasonable degree of certainty)"
	}
	return " (reasonably high degree of certainty)"
}
