package jurisdiction

import (
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/deadline"
)

// Every basis reads under every law: a sentence for the person, and the
// provision where the law has one; the GDPR family's exceptions are Art. 17(3)
// and the CCPA's §1798.105(d) or §1798.145(a).
func TestExceptionsUnderEveryLaw(t *testing.T) {
	for _, r := range deadline.AllRules() {
		for _, b := range Bases() {
			e, err := ExceptionFor(r.Jurisdiction, b)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(e.Text, "We kept this because it is needed") || e.Applies != (e.Citation != "") {
				t.Errorf("%s/%s: %+v", r.Jurisdiction, b, e)
			}
			if e.Citation != "" && !strings.Contains(e.Text, e.Citation) {
				t.Errorf("%s/%s: the person is not told the provision: %q", r.Jurisdiction, b, e.Text)
			}
		}
	}
	for _, c := range []struct {
		j    deadline.Jurisdiction
		b    Basis
		cite string
	}{
		{deadline.GDPR, BasisLegalClaims, "GDPR Art. 17(3)(e)"},
		{deadline.UKGDPR, BasisLegalObligation, "UK GDPR Art. 17(3)(b)"},
		{deadline.CCPA, BasisSecurityIncident, "Cal. Civ. Code §1798.105(d)(2)"},
		{deadline.CCPA, BasisLegalClaims, "Cal. Civ. Code §1798.145(a)(1)(E)"},
		{deadline.GDPR, BasisCompleteTransaction, ""},
		{deadline.Virginia, BasisLegalClaims, "VCDPA's exemption for legal claims"},
	} {
		e, err := ExceptionFor(c.j, c.b)
		if err != nil {
			t.Fatal(err)
		}
		if c.cite == "" && e.Applies || c.cite != "" && !strings.Contains(e.Citation, strings.TrimPrefix(c.cite, "VCDPA")) {
			t.Errorf("%s/%s: citation %q, want %q", c.j, c.b, e.Citation, c.cite)
		}
	}
	if _, err := ExceptionFor(deadline.GDPR, "because"); err == nil || !strings.Contains(err.Error(), "legal_claims") {
		t.Errorf("unknown basis: %v", err)
	}
	if !ValidBasis(BasisResearch) || ValidBasis("") {
		t.Error("ValidBasis")
	}
}
