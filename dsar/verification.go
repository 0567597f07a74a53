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

// LevelOf returns the verification level of a method an operator states:
// low when every word of it belongs to the e-mail link or code ("email_link",
// "e-mail link (web form)", "email code"), high otherwise.
func LevelOf(method string) store.VerificationLevel {
	words := strings.FieldsFunc(strings.ToLower(strings.ReplaceAll(strings.ToLower(method), "e-mail", "email")), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	if len(words) == 0 {
		return store.VerificationHigh // "unspecified": an operator's own call
	}
	for _, w := range words {
		if !linkWords[w] {
			return store.VerificationHigh
		}
	}
	return store.VerificationLow
}

// linkWords are the words of a method that is the e-mail link or code alone.
var linkWords = map[string]bool{"email": true, "link": true, "code": true, "web": true, "form": true, "confirmed": true, "by": true, "the": true, "mailed": true}

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
	return s.RaiseVerificationWithin(ctx, id, method, nil)
}

// RaiseVerificationWithin is RaiseVerification that also runs within (when
// set) in the same transaction (the public form settles its offer there).
func (s *Service) RaiseVerificationWithin(ctx context.Context, id, method string, within func(ctx context.Context, tx store.Tx, r store.Request) error) (store.Request, error) {
	if method == "" {
		return store.Request{}, fmt.Errorf("%w: say how the identity was verified to the higher level", ErrInvalidRequest)
	}
	return s.transitionWithin(ctx, id, []store.RequestState{store.StateAwaitingApproval, store.StateVerified, store.StateInProgress}, "",
		audit.Record{Action: audit.ActionRequestVerified, Reason: "verified to a reasonably high degree by " + method},
		func(r *store.Request) error {
			if r.VerificationLevel != store.VerificationLow {
				return fmt.Errorf("%w: %s is not verified at the low level", ErrWrongState, id)
			}
			r.VerificationLevel = store.VerificationHigh
			return nil
		}, within)
}

// levelSuffix is what the audit reason says of the level.
func levelSuffix(l store.VerificationLevel) string {
	if l == store.VerificationLow {
		return " (reasonable degree of certainty)"
	}
	return " (reasonably high degree of certainty)"
}
