// Package pii finds personal data and secrets in text and HTML and redacts them.
//
// An Engine runs every enabled detector in one linear pass over its input:
// rare anchor bytes ('@', '.', ':', digits) are located with bytes.IndexByte
// and a 256-entry byte-class table, candidates are validated (Luhn, mod-97,
// check letters, CRC32, libphonenumber) only where their shape fits, and
// keyword-gated recognisers (passwords, dates of birth, BSN, bare SSNs, tokens)
// hang off one case-folding Aho-Corasick pass. Known values of a person (name,
// email, phone, address, external id) are matched by a second automaton built
// once per person with NewKnown.
//
// A Redactor applies an Operator per type (replace with a tag such as
// "[EMAIL]", mask, keyed HMAC-SHA256 pseudonym, remove, keep) to plain text or
// to HTML, where it redacts inside text nodes and attribute values and never
// across tags. Output is always valid UTF-8 and redaction is idempotent.
//
// No error message, log line or panic of this package contains the text it
// scans.
package pii

import (
	"errors"
	"fmt"
	"strings"
)

// Type is the kind of a finding. Its String form is the tag the Replace
// operator writes ("EMAIL" becomes "[EMAIL]").
type Type uint8

// The detected types. Known* types come from values supplied at run time
// through NewKnown; all others come from the content detectors.
const (
	TypeEmail           Type = iota // e-mail address
	TypePhone                       // phone number valid in a configured region
	TypeCard                        // payment card number (IIN, length, Luhn)
	TypeIBAN                        // IBAN (country length, mod-97)
	TypeSSN                         // US social security number
	TypeIPv4                        // IPv4 address
	TypeIPv6                        // IPv6 address
	TypeUKNINO                      // UK national insurance number
	TypeDETaxID                     // German Steuer-ID (ISO 7064 MOD 11,10)
	TypeFRNIR                       // French NIR / INSEE number (mod-97 key)
	TypeESDNI                       // Spanish DNI or NIE (mod-23 letter)
	TypeITFiscalCode                // Italian codice fiscale (mod-26 check char)
	TypeNLBSN                       // Dutch BSN (11-proof, with context)
	TypeDateOfBirth                 // a date next to a date-of-birth context word
	TypeSecret                      // API token, private key, JWT
	TypePassword                    // a password written after "password:" and similar
	TypeURLSecret                   // credentials or secret query values inside a URL
	TypeKnownName                   // the person's own name (supplied)
	TypeKnownEmail                  // the person's own e-mail (supplied)
	TypeKnownPhone                  // the person's own phone (supplied, matched by digits)
	TypeKnownAddress                // the person's own address (supplied)
	TypeKnownExternalID             // the person's external id (supplied)
	TypePerson                      // a person's name found in text (cue, title, lexicon) or under a name key
	TypeDriverLicense               // a US driver's licence number next to its cue
	TypePassport                    // a passport number next to its cue
	NumTypes                        // number of types; not a type
)

var typeNames = [NumTypes]string{
	TypeEmail:           "EMAIL",
	TypePhone:           "PHONE",
	TypeCard:            "CARD",
	TypeIBAN:            "IBAN",
	TypeSSN:             "SSN",
	TypeIPv4:            "IP_ADDRESS",
	TypeIPv6:            "IPV6_ADDRESS",
	TypeUKNINO:          "UK_NINO",
	TypeDETaxID:         "DE_TAX_ID",
	TypeFRNIR:           "FR_NIR",
	TypeESDNI:           "ES_DNI",
	TypeITFiscalCode:    "IT_FISCAL_CODE",
	TypeNLBSN:           "NL_BSN",
	TypeDateOfBirth:     "DATE_OF_BIRTH",
	TypeSecret:          "SECRET",
	TypePassword:        "PASSWORD",
	TypeURLSecret:       "URL_SECRET",
	TypeKnownName:       "NAME",
	TypeKnownEmail:      "KNOWN_EMAIL",
	TypeKnownPhone:      "KNOWN_PHONE",
	TypeKnownAddress:    "ADDRESS",
	TypeKnownExternalID: "EXTERNAL_ID",
	TypePerson:          "PERSON",
	TypeDriverLicense:   "DRIVER_LICENSE",
	TypePassport:        "PASSPORT",
}

// String returns the tag text of t, for example "EMAIL" or "IP_ADDRESS".
func (t Type) String() string {
	if t < NumTypes {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// ErrUnknownType is returned (wrapped) by ParseType for a name that is not a type.
var ErrUnknownType = errors.New("pii: unknown type")

// ParseType returns the Type whose String form is s, case-insensitively.
// It also accepts the Go-style names without the "Type" prefix, such as "IPv4".
func ParseType(s string) (Type, error) {
	for t := Type(0); t < NumTypes; t++ {
		if strings.EqualFold(s, typeNames[t]) {
			return t, nil
		}
	}
	switch strings.ToUpper(s) {
	case "IPV4":
		return TypeIPv4, nil
	case "IPV6":
		return TypeIPv6, nil
	}
	// The rejected text is a configuration value, not scanned content, but
	// keep it short so a mis-pasted secret is not echoed whole.
	if len(s) > 32 {
		s = s[:32] + "..."
	}
	return 0, fmt.Errorf("%w %q (valid: %s)", ErrUnknownType, s, strings.Join(typeNames[:], ", "))
}

// AllTypes returns every Type, in order.
func AllTypes() []Type {
	out := make([]Type, NumTypes)
	for i := range out {
		out[i] = Type(i)
	}
	return out
}

// Finding is one detected value: its type, its byte span text[Start:End],
// a confidence in [0,1] and the name of the validator that accepted it
// (for example "luhn+iin", "mod97", "libphonenumber", "known").
type Finding struct {
	Type       Type
	Start, End int
	Confidence float32
	Validator  string
}

// Options configures an Engine. The zero value enables every type,
// skips private and loopback IP addresses and validates phones against the
// default regions.
type Options struct {
	// Types lists the types to detect; nil means all (an empty, non-nil
	// slice means none).
	Types []Type
	// PrivateIPs reports private, loopback, link-local and unspecified
	// addresses too.
	PrivateIPs bool
	// PhoneRegions lists the ISO 3166 regions whose national formats are
	// accepted; nil means DefaultPhoneRegions. International numbers
	// written with +CC are accepted for any country.
	PhoneRegions []string
}

// DefaultPhoneRegions are the regions used when Options.PhoneRegions is nil.
var DefaultPhoneRegions = []string{"US", "GB", "DE", "FR", "ES", "IT", "NL", "IE", "CA", "AU", "BR", "IN"}

// KnownValue is one value of a person supplied at run time, such as their
// name (TypeKnownName) or e-mail (TypeKnownEmail).
type KnownValue struct {
	Type  Type
	Value string
}

// OperatorKind says what a Redactor does with a finding.
type OperatorKind uint8

// Operator kinds.
const (
	Replace OperatorKind = iota // write the type tag, e.g. "[EMAIL]" (the default)
	Mask                        // overwrite with MaskChar, keeping the last KeepLast characters
	HMAC                        // write a keyed HMAC-SHA256 pseudonym, e.g. "[EMAIL:3f9a…]"
	Remove                      // delete the value
	Keep                        // leave the value as it is (count it only)
)

var operatorNames = [...]string{"replace", "mask", "hmac", "remove", "keep"}

// String returns the lower-case name of k.
func (k OperatorKind) String() string {
	if int(k) < len(operatorNames) {
		return operatorNames[k]
	}
	return fmt.Sprintf("OperatorKind(%d)", uint8(k))
}

// Operator is how one type is redacted. The zero value replaces with the tag.
type Operator struct {
	Kind OperatorKind
	// MaskChar is the mask character for Mask; zero means '*'.
	MaskChar rune
	// KeepLast is how many trailing letters or digits Mask leaves visible.
	KeepLast int
}

// Policy says which Operator applies to each type.
type Policy struct {
	// Default applies to types not in PerType.
	Default Operator
	// PerType overrides Default for some types.
	PerType map[Type]Operator
	// HMACKey keys the HMAC operator; it is required (at least 16 bytes)
	// when any operator is HMAC and is never written anywhere.
	HMACKey []byte
}

// Counts holds per-type finding counts (never values).
type Counts [NumTypes]int64

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	for i := range c {
		c[i] += o[i]
	}
}

// Total returns the number of findings over all types.
func (c *Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}
