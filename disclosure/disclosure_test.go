package disclosure_test

import (
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/disclosure"
	"github.com/intercom-privacy/intercom-privacy/pii"
)

func engine(t *testing.T) *pii.Engine {
	t.Helper()
	e, err := pii.NewEngine(pii.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestByName(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind disclosure.Kind
		ok   bool
	}{
		{"password", disclosure.Credential, true},
		{"ssn", disclosure.GovernmentID, true},
		{"SSN_last4", disclosure.GovernmentID, true},
		{"api_token", disclosure.Secret, true},
		{"apiToken", disclosure.Secret, true},
		{"security_answer", disclosure.Credential, true},
		{"Security Question", disclosure.Credential, true},
		{"driver's licence", disclosure.GovernmentID, true},
		{"passport_no", disclosure.GovernmentID, true},
		{"iban", disclosure.FinancialAccount, true},
		{"credit-card", disclosure.FinancialAccount, true},
		{"health_insurance_number", disclosure.HealthID, true},
		{"fingerprint_template", disclosure.Biometric, true},
		{"plan", "", false},
		{"pinterest_handle", "", false},
		{"spin_count", "", false},
		{"notes_2", "", false},
		{"billing_address", "", false},
		{"tokenizer", "", false},
	} {
		v, ok := disclosure.ByName(tc.name)
		if ok != tc.ok || v.Kind != tc.kind {
			t.Errorf("ByName(%q) = %+v, %v; want %q, %v", tc.name, v, ok, tc.kind, tc.ok)
		}
		if ok && (v.Basis != disclosure.BasisName || v.What == "") {
			t.Errorf("ByName(%q) = %+v: basis or wording missing", tc.name, v)
		}
	}
}

func TestPolicyOrder(t *testing.T) {
	e := engine(t)
	p := disclosure.Policy{
		Classes: map[string]disclosure.Kind{"customer_ref": disclosure.HealthID, "password": disclosure.Secret},
		Allowed: map[string]string{"loyalty_pin": "a loyalty-scheme number printed on the member's card, reviewed by the DPO"},
		Engine:  e,
	}
	cases := []struct {
		name  string
		value any
		want  disclosure.Decision
	}{
		// The configured class wins over the name and the content.
		{"customer_ref", "A-17", disclosure.Decision{Withhold: true, Verdict: disclosure.Verdict{Kind: disclosure.HealthID, Basis: disclosure.BasisConfigured, What: disclosure.Describe(disclosure.HealthID)}}},
		{"password", "x", disclosure.Decision{Withhold: true, Verdict: disclosure.Verdict{Kind: disclosure.Secret, Basis: disclosure.BasisConfigured, What: disclosure.Describe(disclosure.Secret)}}},
		// Then the name.
		{"ssn", "not a number", disclosure.Decision{Withhold: true, Verdict: disclosure.Verdict{Kind: disclosure.GovernmentID, Basis: disclosure.BasisName, What: "a US Social Security number"}}},
		// Then the content: a name that hides it.
		{"notes_2", "password: hunter2hunter2", disclosure.Decision{Withhold: true, Verdict: disclosure.Verdict{Kind: disclosure.Credential, Basis: disclosure.BasisContent, What: "an account password"}}},
		{"ref", "078-05-1120 is on file", disclosure.Decision{}}, // the SSN recogniser refuses the Woolworth number
		{"ref", "SSN 536-22-8726", disclosure.Decision{Withhold: true, Verdict: disclosure.Verdict{Kind: disclosure.GovernmentID, Basis: disclosure.BasisContent, What: "a US Social Security number"}}},
		{"misc", map[string]any{"a": []any{"4111 1111 1111 1111"}}, disclosure.Decision{Withhold: true, Verdict: disclosure.Verdict{Kind: disclosure.FinancialAccount, Basis: disclosure.BasisContent, What: "a payment card number"}}},
		{"plan", "pro", disclosure.Decision{}},
		{"seats", 12.0, disclosure.Decision{}},
		// Allowed by the operator: disclosed, the verdict and reason kept.
		{"loyalty_pin", "1234", disclosure.Decision{AllowedReason: "a loyalty-scheme number printed on the member's card, reviewed by the DPO", Verdict: disclosure.Verdict{Kind: disclosure.Credential, Basis: disclosure.BasisName, What: "a PIN"}}},
	}
	for _, tc := range cases {
		got := p.Attribute(tc.name, tc.value)
		if got != tc.want {
			t.Errorf("Attribute(%q) = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestContentTypesAreMapped(t *testing.T) {
	e := engine(t)
	for _, s := range []string{"sk_live_51H8x2KLmN0pQrStUvWxYz0123456789abcdef", "GB82 WEST 1234 5698 7654 32", "password: Tr0ub4dor&3"} {
		if _, ok := disclosure.ByContent(e, s); !ok {
			t.Errorf("ByContent missed a value of %d bytes", len(s))
		}
	}
	for _, typ := range disclosure.Types() {
		k, what, ok := disclosure.OfType(typ)
		if !ok || what == "" {
			t.Errorf("%v: not mapped", typ)
		}
		if _, ok := disclosure.ParseKind(string(k)); !ok {
			t.Errorf("%v maps to unknown kind %q", typ, k)
		}
	}
	for _, typ := range []pii.Type{pii.TypeEmail, pii.TypePhone, pii.TypeKnownName, pii.TypeIPv4} {
		if _, _, ok := disclosure.OfType(typ); ok {
			t.Errorf("%v must stay disclosable", typ)
		}
	}
}

func TestPlaceholderPerJurisdiction(t *testing.T) {
	v := disclosure.Verdict{Kind: disclosure.GovernmentID, What: "a US Social Security number"}
	ccpa, gdpr := disclosure.Placeholder(v, "ccpa"), disclosure.Placeholder(v, "gdpr")
	if !strings.Contains(ccpa, "we hold a US Social Security number") || !strings.Contains(ccpa, "§7024(d)") {
		t.Errorf("ccpa: %s", ccpa)
	}
	if !strings.Contains(gdpr, "we hold a US Social Security number") || !strings.Contains(gdpr, "Art. 5(1)(f)") {
		t.Errorf("gdpr: %s", gdpr)
	}
}

func FuzzByName(f *testing.F) {
	for _, s := range []string{"password", "apiToken", "driver's licence", "", "ÄÖ_ß", "a__b--c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, ok := disclosure.ByName(name)
		if ok {
			if _, known := disclosure.ParseKind(string(v.Kind)); !known || v.What == "" {
				t.Fatalf("ByName(%q) = %+v", name, v)
			}
		}
	})
}
