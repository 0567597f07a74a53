// Package disclosure decides which values an access package must never disclose,
// and says in words what the business holds in their place.
//
// Some personal data is too dangerous to hand out in a file that can be lost,
// forwarded or intercepted, and the law says so: the CCPA regulations (Cal. Code
// Regs. tit. 11, §7024(d)) forbid disclosing a Social Security number, a driver's
// licence or other government identification number, a financial account number,
// a health insurance or medical identification number, an account password,
// security questions and answers, or unique biometric data, and require the
// business to say instead, with sufficient particularity, that it holds that type
// of information. Under the GDPR the controller must keep the copy secure (Art. 5(1)(f),
// Art. 32) and must not adversely affect others (Art. 15(4)); a live API key or a
// password in a zip helps nobody. This package applies the same rule to both,
// worded for each jurisdiction.
//
// A value is judged, in this order, by the class an operator configured for its
// attribute, by the attribute's name, and by its content (the PII engine's
// checksummed recognisers). The first that marks it decides its Kind. An operator
// may allow one attribute by name, with a reason that is recorded with every
// package that discloses it.
//
// The package imports only pii.
package disclosure

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/intercom-privacy/intercom-privacy/pii"
)

// Kind is a kind of value that is never disclosed.
type Kind string

// The kinds, after CCPA §7024(d).
const (
	GovernmentID     Kind = "government_id"
	FinancialAccount Kind = "financial_account"
	Credential       Kind = "credential"
	Secret           Kind = "secret"
	HealthID         Kind = "health_id"
	Biometric        Kind = "biometric"
)

// Kinds returns every Kind, in a stable order.
func Kinds() []Kind {
	return []Kind{GovernmentID, FinancialAccount, Credential, Secret, HealthID, Biometric}
}

// ParseKind returns the Kind named s (as in configuration), or false.
func ParseKind(s string) (Kind, bool) {
	k := Kind(strings.TrimSpace(s))
	return k, slices.Contains(Kinds(), k)
}

// Basis says what marked a value.
type Basis string

// The bases, in the order they are tried.
const (
	BasisConfigured Basis = "configured_class"
	BasisName       Basis = "attribute_name"
	BasisContent    Basis = "content"
)

// Verdict is why a value is withheld.
type Verdict struct {
	Kind  Kind  `json:"kind"`
	Basis Basis `json:"basis"`
	// What names the value for the person, e.g. "a US Social Security number".
	What string `json:"what"`
}

// kindWords is the general wording of each kind.
var kindWords = map[Kind]string{
	GovernmentID:     "a government identification number",
	FinancialAccount: "a financial account or payment card number",
	Credential:       "an account password or a security question or answer",
	Secret:           "a secret key or access token",
	HealthID:         "a health insurance or medical identification number",
	Biometric:        "biometric data",
}

// Describe returns the general wording of k ("a government identification number").
func Describe(k Kind) string {
	if w, ok := kindWords[k]; ok {
		return w
	}
	return "a value we do not disclose"
}

// typeKinds maps the PII engine's types to kinds, with their precise wording.
var typeKinds = map[pii.Type]struct {
	kind Kind
	what string
}{
	pii.TypeSSN:          {GovernmentID, "a US Social Security number"},
	pii.TypeUKNINO:       {GovernmentID, "a UK National Insurance number"},
	pii.TypeDETaxID:      {GovernmentID, "a German tax identification number"},
	pii.TypeFRNIR:        {GovernmentID, "a French social security number (NIR)"},
	pii.TypeESDNI:        {GovernmentID, "a Spanish DNI or NIE number"},
	pii.TypeITFiscalCode: {GovernmentID, "an Italian fiscal code"},
	pii.TypeNLBSN:        {GovernmentID, "a Dutch citizen service number (BSN)"},
	pii.TypeCard:         {FinancialAccount, "a payment card number"},
	pii.TypeIBAN:         {FinancialAccount, "a bank account number (IBAN)"},
	pii.TypePassword:     {Credential, "an account password"},
	pii.TypeSecret:       {Secret, "a secret key or access token"},
	pii.TypeURLSecret:    {Secret, "a secret inside a web address"},
}

// OfType returns the kind of a PII engine finding, its wording, and whether the
// type is one that is never disclosed.
func OfType(t pii.Type) (Kind, string, bool) {
	k, ok := typeKinds[t]
	return k.kind, k.what, ok
}

// Types lists the PII engine types that are never disclosed.
func Types() []pii.Type {
	out := make([]pii.Type, 0, len(typeKinds))
	for t := range typeKinds {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// nameRule marks an attribute by a sequence of words in its name.
type nameRule struct {
	words []string
	kind  Kind
	what  string
}

// nameRules are tried in order; the first whose words appear consecutively in
// the attribute's name (split at separators and case changes) wins. Short words
// ("pin", "sin", "cvv") only match as whole words, so "pinterest" is not a PIN.
var nameRules = []nameRule{
	{[]string{"security", "question"}, Credential, "a security question"},
	{[]string{"security", "answer"}, Credential, "the answer to a security question"},
	{[]string{"secret", "question"}, Credential, "a security question"},
	{[]string{"secret", "answer"}, Credential, "the answer to a security question"},
	{[]string{"memorable", "word"}, Credential, "a memorable word"},
	{[]string{"password"}, Credential, "an account password"},
	{[]string{"passwd"}, Credential, "an account password"},
	{[]string{"pwd"}, Credential, "an account password"},
	{[]string{"passcode"}, Credential, "a passcode"},
	{[]string{"pin"}, Credential, "a PIN"},
	{[]string{"ssn"}, GovernmentID, "a US Social Security number"},
	{[]string{"social", "security"}, GovernmentID, "a social security number"},
	{[]string{"itin"}, GovernmentID, "a US taxpayer identification number"},
	{[]string{"tax", "id"}, GovernmentID, "a tax identification number"},
	{[]string{"taxpayer"}, GovernmentID, "a tax identification number"},
	{[]string{"tin"}, GovernmentID, "a tax identification number"},
	{[]string{"passport"}, GovernmentID, "a passport number"},
	{[]string{"drivers", "license"}, GovernmentID, "a driver's licence number"},
	{[]string{"drivers", "licence"}, GovernmentID, "a driver's licence number"},
	{[]string{"driver", "license"}, GovernmentID, "a driver's licence number"},
	{[]string{"driver", "licence"}, GovernmentID, "a driver's licence number"},
	{[]string{"driving", "licence"}, GovernmentID, "a driver's licence number"},
	{[]string{"national", "id"}, GovernmentID, "a national identity number"},
	{[]string{"national", "insurance"}, GovernmentID, "a National Insurance number"},
	{[]string{"nino"}, GovernmentID, "a National Insurance number"},
	{[]string{"id", "card"}, GovernmentID, "an identity card number"},
	{[]string{"sin"}, GovernmentID, "a social insurance number"},
	{[]string{"nir"}, GovernmentID, "a French social security number (NIR)"},
	{[]string{"dni"}, GovernmentID, "a Spanish DNI number"},
	{[]string{"nie"}, GovernmentID, "a Spanish NIE number"},
	{[]string{"bsn"}, GovernmentID, "a Dutch citizen service number (BSN)"},
	{[]string{"codice", "fiscale"}, GovernmentID, "an Italian fiscal code"},
	{[]string{"steuer", "id"}, GovernmentID, "a German tax identification number"},
	{[]string{"card", "number"}, FinancialAccount, "a payment card number"},
	{[]string{"credit", "card"}, FinancialAccount, "a payment card number"},
	{[]string{"debit", "card"}, FinancialAccount, "a payment card number"},
	{[]string{"cc", "number"}, FinancialAccount, "a payment card number"},
	{[]string{"pan"}, FinancialAccount, "a payment card number"},
	{[]string{"cvv"}, FinancialAccount, "a card security code"},
	{[]string{"cvc"}, FinancialAccount, "a card security code"},
	{[]string{"iban"}, FinancialAccount, "a bank account number (IBAN)"},
	{[]string{"account", "number"}, FinancialAccount, "a financial account number"},
	{[]string{"bank", "account"}, FinancialAccount, "a bank account number"},
	{[]string{"routing", "number"}, FinancialAccount, "a bank routing number"},
	{[]string{"sort", "code"}, FinancialAccount, "a bank sort code"},
	{[]string{"api", "key"}, Secret, "an API key"},
	{[]string{"apikey"}, Secret, "an API key"},
	{[]string{"api", "token"}, Secret, "an API token"},
	{[]string{"access", "token"}, Secret, "an access token"},
	{[]string{"auth", "token"}, Secret, "an authentication token"},
	{[]string{"refresh", "token"}, Secret, "a refresh token"},
	{[]string{"token"}, Secret, "an access token"},
	{[]string{"secret"}, Secret, "a secret"},
	{[]string{"private", "key"}, Secret, "a private key"},
	{[]string{"access", "key"}, Secret, "an access key"},
	{[]string{"license", "key"}, Secret, "a licence key"},
	{[]string{"health", "insurance"}, HealthID, "a health insurance number"},
	{[]string{"insurance", "number"}, HealthID, "an insurance number"},
	{[]string{"medical", "record"}, HealthID, "a medical record number"},
	{[]string{"mrn"}, HealthID, "a medical record number"},
	{[]string{"patient", "id"}, HealthID, "a patient identification number"},
	{[]string{"nhs", "number"}, HealthID, "an NHS number"},
	{[]string{"medicare"}, HealthID, "a Medicare number"},
	{[]string{"medicaid"}, HealthID, "a Medicaid number"},
	{[]string{"fingerprint"}, Biometric, "fingerprint data"},
	{[]string{"faceprint"}, Biometric, "face recognition data"},
	{[]string{"face", "id"}, Biometric, "face recognition data"},
	{[]string{"voiceprint"}, Biometric, "voice recognition data"},
	{[]string{"biometric"}, Biometric, "biometric data"},
	{[]string{"retina"}, Biometric, "retina scan data"},
	{[]string{"iris", "scan"}, Biometric, "iris scan data"},
}

// words splits an attribute name into lower-case words at every character that is
// not a letter or digit and at lower-to-upper case changes ("apiToken" → api, token).
// "driver's" becomes "drivers".
func words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = cur[:0]
		}
	}
	prevLower := false
	for _, r := range name {
		switch {
		case r == '\'' || r == '’':
			continue
		case unicode.IsUpper(r):
			if prevLower {
				flush()
			}
			cur = append(cur, unicode.ToLower(r))
			prevLower = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			cur = append(cur, r)
			prevLower = unicode.IsLower(r)
		default:
			flush()
			prevLower = false
		}
	}
	flush()
	return out
}

// ByName judges an attribute by its name alone.
func ByName(name string) (Verdict, bool) {
	ws := words(name)
	for _, rule := range nameRules {
		n := len(rule.words)
		for i := 0; i+n <= len(ws); i++ {
			if slices.Equal(ws[i:i+n], rule.words) {
				return Verdict{Kind: rule.kind, Basis: BasisName, What: rule.what}, true
			}
		}
	}
	return Verdict{}, false
}

// ByContent judges a text by what the PII engine finds in it: the first finding of
// a type that is never disclosed decides.
func ByContent(e *pii.Engine, text string) (Verdict, bool) {
	if e == nil || text == "" {
		return Verdict{}, false
	}
	for _, f := range e.FindString(text, nil) {
		if k, what, ok := OfType(f.Type); ok {
			return Verdict{Kind: k, Basis: BasisContent, What: what}, true
		}
	}
	return Verdict{}, false
}

// Policy judges custom attributes. The zero value judges by name only.
type Policy struct {
	// Classes are the attributes an operator configured as one of the kinds.
	Classes map[string]Kind
	// Allowed are the attributes an operator allowed to be disclosed, each with
	// the reason recorded with the packages that disclose it.
	Allowed map[string]string
	// Engine scans content; nil skips the content check.
	Engine *pii.Engine
}

// Decision is the judgement of one attribute.
type Decision struct {
	// Withhold is true when the value must not be written into a package.
	Withhold bool
	Verdict  Verdict
	// AllowedReason is set when the attribute would be withheld but an operator
	// allowed it; the value is disclosed and the reason recorded.
	AllowedReason string
}

// Attribute judges one attribute: by its configured class, then its name, then
// its content (every string inside value). An attribute the operator allowed is
// disclosed, with the verdict it would have had and the reason.
func (p Policy) Attribute(name string, value any) Decision {
	v, ok := p.judge(name, value)
	if !ok {
		return Decision{}
	}
	if reason, allowed := p.Allowed[name]; allowed {
		return Decision{Verdict: v, AllowedReason: reason}
	}
	return Decision{Withhold: true, Verdict: v}
}

func (p Policy) judge(name string, value any) (Verdict, bool) {
	if k, ok := p.Classes[name]; ok {
		return Verdict{Kind: k, Basis: BasisConfigured, What: Describe(k)}, true
	}
	if v, ok := ByName(name); ok {
		return v, true
	}
	var found Verdict
	var ok bool
	eachString(value, func(s string) bool {
		found, ok = ByContent(p.Engine, s)
		return !ok
	})
	return found, ok
}

// eachString calls fn for every string inside a decoded JSON value until fn
// returns false.
func eachString(v any, fn func(string) bool) bool {
	switch t := v.(type) {
	case string:
		return fn(t)
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !eachString(t[k], fn) {
				return false
			}
		}
	case []any:
		for _, x := range t {
			if !eachString(x, fn) {
				return false
			}
		}
	case fmt.Stringer:
		return fn(t.String())
	}
	return true
}

// Placeholder is what the package holds in place of a withheld value: it says that
// the business holds such a value, of what kind, and why it is not shown. The
// jurisdiction ("gdpr" or "ccpa") chooses the wording of the reason.
func Placeholder(v Verdict, jurisdiction string) string {
	return "Withheld: we hold " + v.What + " for you. " + Reason(jurisdiction)
}

// Reason says, for the person, why values of these kinds are never disclosed.
func Reason(jurisdiction string) string {
	if strings.EqualFold(jurisdiction, "ccpa") {
		return "California law (CCPA Regulations §7024(d)) does not allow us to disclose government identification numbers, financial account numbers, health insurance or medical identification numbers, account passwords, security questions and answers, or biometric data; we tell you instead that we hold them."
	}
	return "To protect you, we never put identity document numbers, financial account and card numbers, passwords, security answers, secret keys, health identifiers or biometric data into a copy that could be lost or intercepted (GDPR Art. 5(1)(f) and 32); we tell you instead that we hold them, and we can confirm a value to you through a secure channel if you ask."
}
