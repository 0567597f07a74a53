package dsar

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"

	"github.com/intercom-privacy/intercom-privacy/store"
	"github.com/intercom-privacy/intercom-privacy/vault"
)

// Identifiers are what a person gave to be found: any mix of emails, phone numbers,
// external ids (the company's own user ids) and Intercom contact ids. Archived
// contacts cannot be found by search, only by their Intercom id.
type Identifiers struct {
	Emails      []string `json:"emails,omitempty"`
	Phones      []string `json:"phones,omitempty"`
	ExternalIDs []string `json:"external_ids,omitempty"`
	ContactIDs  []string `json:"contact_ids,omitempty"`
}

// Count is the number of identifiers.
func (ids Identifiers) Count() int {
	return len(ids.Emails) + len(ids.Phones) + len(ids.ExternalIDs) + len(ids.ContactIDs)
}

// IdentifierError reports a malformed identifier. It names the kind and position,
// never the value.
type IdentifierError struct {
	Kind  string
	Index int
	Why   string
}

func (e *IdentifierError) Error() string {
	return fmt.Sprintf("dsar: %s #%d is not valid: %s", e.Kind, e.Index+1, e.Why)
}

func (e *IdentifierError) Unwrap() error { return ErrInvalidRequest }

// Normalized returns the identifiers validated, trimmed, lower-cased where case does
// not matter, and without duplicates. It fails when none is given or one is
// malformed.
func (ids Identifiers) Normalized() (Identifiers, error) {
	var out Identifiers
	seen := map[string]bool{}
	add := func(dst *[]string, kind, v string) {
		if !seen[kind+"\x00"+v] {
			seen[kind+"\x00"+v] = true
			*dst = append(*dst, v)
		}
	}
	for i, e := range ids.Emails {
		e = strings.TrimSpace(e)
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || a.Name != "" {
			return out, &IdentifierError{"email", i, "not a plain address like name@example.com"}
		}
		at := strings.LastIndexByte(e, '@')
		if at < 1 || !strings.Contains(e[at+1:], ".") || len(e) > 254 {
			return out, &IdentifierError{"email", i, "the domain needs a dot, like example.com"}
		}
		add(&out.Emails, "email", strings.ToLower(e))
	}
	for i, p := range ids.Phones {
		p = strings.TrimSpace(p)
		digits := 0
		for j, r := range p {
			switch {
			case unicode.IsDigit(r):
				digits++
			case r == '+' && j == 0, r == ' ', r == '-', r == '(', r == ')', r == '.':
			default:
				return out, &IdentifierError{"phone", i, "only digits, spaces, + - ( ) . are allowed"}
			}
		}
		if digits < 7 || digits > 15 {
			return out, &IdentifierError{"phone", i, "a phone number has 7 to 15 digits"}
		}
		add(&out.Phones, "phone", p)
	}
	for i, x := range ids.ExternalIDs {
		x = strings.TrimSpace(x)
		if x == "" || len(x) > 255 {
			return out, &IdentifierError{"external id", i, "empty or longer than 255 characters"}
		}
		add(&out.ExternalIDs, "external_id", x)
	}
	for i, c := range ids.ContactIDs {
		c = strings.TrimSpace(c)
		if c == "" || len(c) > 64 || strings.IndexFunc(c, func(r rune) bool {
			return !(r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-'))
		}) >= 0 {
			return out, &IdentifierError{"contact id", i, "Intercom ids are letters, digits, _ and -"}
		}
		add(&out.ContactIDs, "contact_id", c)
	}
	if out.Count() == 0 {
		return out, fmt.Errorf("%w: give at least one identifier (--email, --phone, --external-id or --contact-id)", ErrInvalidRequest)
	}
	return out, nil
}

// primary is the identifier the request's subject reference is computed from: the
// first email, else phone, external id, contact id.
func (ids Identifiers) primary() (vault.IndexKind, string) {
	switch {
	case len(ids.Emails) > 0:
		return vault.KindEmail, ids.Emails[0]
	case len(ids.Phones) > 0:
		return vault.KindPhone, ids.Phones[0]
	case len(ids.ExternalIDs) > 0:
		return vault.KindExternalID, ids.ExternalIDs[0]
	default:
		return vault.KindContactID, ids.ContactIDs[0]
	}
}

// SubjectRef is the keyed HMAC of the primary identifier, used in audit records.
func (ids Identifiers) SubjectRef(v *vault.Vault) (string, error) {
	kind, val := ids.primary()
	return v.SubjectRef(kind, val)
}

// each calls f for every identifier with its vault kind.
func (ids Identifiers) each(f func(kind vault.IndexKind, value string)) {
	for _, v := range ids.Emails {
		f(vault.KindEmail, v)
	}
	for _, v := range ids.Phones {
		f(vault.KindPhone, v)
	}
	for _, v := range ids.ExternalIDs {
		f(vault.KindExternalID, v)
	}
	for _, v := range ids.ContactIDs {
		f(vault.KindContactID, v)
	}
}

// cacheLookup is the blind index of one identifier, as the cached contacts carry it.
type cacheLookup struct {
	kind store.IndexKind
	idx  []byte
}

// cacheLookups returns the blind index of every identifier the cached contacts are
// indexed by: emails, phones and external ids (contact ids are the rows' own keys).
func (s *Service) cacheLookups(ids Identifiers) ([]cacheLookup, error) {
	var out []cacheLookup
	for _, g := range []struct {
		kind   vault.IndexKind
		column store.IndexKind
		values []string
	}{
		{vault.KindEmail, store.IndexEmail, ids.Emails},
		{vault.KindPhone, store.IndexPhone, ids.Phones},
		{vault.KindExternalID, store.IndexExternalID, ids.ExternalIDs},
	} {
		for _, v := range g.values {
			idx, err := s.Vault.BlindIndex(g.kind, v)
			if err != nil {
				return nil, err
			}
			out = append(out, cacheLookup{g.column, idx})
		}
	}
	return out, nil
}
