package vault

import (
	"encoding/hex"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// IndexKind says what kind of identifier a value is; it chooses the normalisation and
// separates the domains of blind indexes and subject references, so the same string
// indexed as an email and as a name gives unrelated results.
type IndexKind string

// The kinds of identifier the vault indexes.
const (
	// KindEmail: trimmed, lower-cased (Unicode) email address.
	KindEmail IndexKind = "email"
	// KindPhone: digits only, with a leading "+" kept (a leading "00" is read as
	// "+", and a "(0)" trunk prefix after a country code is dropped); everything
	// from the first letter on (an extension such as "ext. 12") is ignored. Numbers
	// written without a country code stay national: "+44 20 7946 0958" and
	// "020 7946 0958" index differently.
	KindPhone IndexKind = "phone"
	// KindExternalID: the integrator's external_id, trimmed, case kept.
	KindExternalID IndexKind = "external_id"
	// KindName: NFKC-normalised, lower-cased, white space trimmed and collapsed.
	KindName IndexKind = "name"
	// KindContactID: an Intercom contact id, trimmed.
	KindContactID IndexKind = "contact_id"
	// KindNetAddress: a client's network address (the public form's rate
	// limits), trimmed, lower-cased.
	KindNetAddress IndexKind = "net_address"
)

// Output sizes.
const (
	// BlindIndexSize is the length of a blind index in bytes.
	BlindIndexSize = 32
	// pseudonymSize is the length of a log pseudonym in bytes before hex.
	pseudonymSize = 8
)

// Normalize returns the canonical form of value for kind (see the IndexKind
// constants). It returns ErrUnknownKind, ErrInvalidValue (not UTF-8) or ErrEmptyValue;
// errors never contain the value.
func Normalize(kind IndexKind, value string) (string, error) {
	if !utf8.ValidString(value) {
		return "", ErrInvalidValue
	}
	var out string
	switch kind {
	case KindEmail, KindNetAddress:
		out = strings.ToLower(strings.TrimSpace(value))
	case KindPhone:
		out = normalizePhone(value)
	case KindExternalID, KindContactID:
		out = strings.TrimSpace(value)
	case KindName:
		out = strings.Join(strings.Fields(strings.ToLower(norm.NFKC.String(value))), " ")
	default:
		return "", ErrUnknownKind
	}
	if out == "" || out == "+" {
		return "", ErrEmptyValue
	}
	return out, nil
}

func normalizePhone(value string) string {
	s := norm.NFKC.String(value) // full-width digits and plus become ASCII
	if i := strings.IndexFunc(s, unicode.IsLetter); i >= 0 {
		s = s[:i] // an extension ("ext. 12", "x12") is not part of the number
	}
	first := strings.IndexFunc(s, func(r rune) bool { return r == '+' || (r >= '0' && r <= '9') })
	if first < 0 {
		return ""
	}
	digits := keepDigits(s)
	plus := s[first] == '+'
	if !plus && strings.HasPrefix(digits, "00") {
		plus = true // the international call prefix used in most countries
		digits = digits[2:]
	}
	if plus && strings.Contains(s, "(0)") {
		// "+44 (0)20 ...": the trunk prefix in parentheses is not dialled from abroad.
		d := keepDigits(strings.Replace(s, "(0)", "", 1))
		switch {
		case s[first] == '+':
			digits = d
		case strings.HasPrefix(d, "00"):
			digits = d[2:]
		}
	}
	if plus {
		return "+" + digits
	}
	return digits
}

func keepDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// BlindIndex returns the blind index of value for kind: HMAC-SHA256 (the "index"
// keyset, Tink PRF) over a length-prefixed encoding of a domain label, the kind and
// the normalised value; 32 bytes. Equal identifiers give equal indexes, so the store
// can find a person's rows without decrypting anything; without the key nothing can
// be learnt from an index, not even by trying likely addresses.
//
// The "index" keyset is not rotated by `keys rotate`: an index can only be
// recomputed from the plaintext, and the suppression list keeps no plaintext, so a
// new index key would silently stop erased people from being recognised. To replace
// it, re-index every cached row from its decrypted value and accept that the
// suppression list starts over; the package offers no command for that.
func (v *Vault) BlindIndex(kind IndexKind, value string) ([]byte, error) {
	return v.prfOf(v.indexPRF(), "intercom-privacy/blind-index/v1", kind, value, BlindIndexSize)
}

// SubjectRef returns the subject reference of an identifier: the lower-case hex (64
// characters) of a keyed HMAC-SHA256 ("index" keyset) over the normalised value,
// domain-separated from BlindIndex. Audit records, the suppression list and person key
// ids use it; it is never a plain or unsalted hash.
func (v *Vault) SubjectRef(kind IndexKind, value string) (string, error) {
	b, err := v.prfOf(v.indexPRF(), "intercom-privacy/subject-ref/v1", kind, value, 32)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Pseudonym returns a short pseudonym of an identifier for log lines: 16 lower-case
// hex characters of a keyed HMAC-SHA256 under the "pseudonym" keyset, separate from
// the "index" keyset so that logs cannot be joined with the store or the audit trail.
// With 64 bits, two people may share a pseudonym once in about four billion pairs:
// good enough to follow one person through a log, not an identifier.
func (v *Vault) Pseudonym(kind IndexKind, value string) (string, error) {
	b, err := v.prfOf(v.pseudonymPRF(), "intercom-privacy/pseudonym/v1", kind, value, pseudonymSize)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func (v *Vault) indexPRF() prfComputer {
	if !v.opened() {
		return nil
	}
	return v.index
}

func (v *Vault) pseudonymPRF() prfComputer {
	if !v.opened() {
		return nil
	}
	return v.pseudonym
}

type prfComputer interface {
	ComputePrimaryPRF(input []byte, outputLength uint32) ([]byte, error)
}

func (v *Vault) prfOf(p prfComputer, domain string, kind IndexKind, value string, size uint32) ([]byte, error) {
	if !v.opened() {
		return nil, ErrNotOpen
	}
	n, err := Normalize(kind, value)
	if err != nil {
		return nil, err
	}
	out, err := p.ComputePrimaryPRF(encodeParts(domain, string(kind), n), size)
	if err != nil {
		return nil, errors.New("vault: computing the keyed hash failed")
	}
	return out, nil
}
