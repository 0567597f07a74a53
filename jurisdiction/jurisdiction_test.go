package jurisdiction

import (
	"errors"
	"strings"
	"testing"

	"github.com/intercom-privacy/intercom-privacy/deadline"
)

// Every law the clock table knows has a row here, in the same order, and no
// row is missing a part a package or a message needs.
func TestEveryClockHasARow(t *testing.T) {
	rules, infos := deadline.AllRules(), All()
	if len(rules) != len(infos) {
		t.Fatalf("%d clocks, %d rows", len(rules), len(infos))
	}
	for k, r := range rules {
		i := infos[k]
		if i.Clock.Jurisdiction != r.Jurisdiction {
			t.Errorf("row %d is %s, clock %s", k, i.Clock.Jurisdiction, r.Jurisdiction)
		}
		for name, v := range map[string]string{
			"region": i.Region, "access title": i.AccessTitle, "access basis": i.AccessBasis, "erasure basis": i.ErasureBasis,
			"authority": i.Authority.Name, "complaint": i.Authority.Complaint, "record kept": i.RecordKept,
			"verification (categories)": i.Verification.Categories, "verification (specific)": i.Verification.Specific,
		} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: no %s", r.Jurisdiction, name)
			}
		}
		if len(i.Rights) == 0 || len(i.AccessContents) == 0 || len(i.Sources) == 0 {
			t.Errorf("%s: rights, access contents or sources missing", r.Jurisdiction)
		}
		if !i.Has(Access) || !i.Has(Deletion) && r.Jurisdiction != deadline.PIPEDA {
			t.Errorf("%s: access and deletion are expected", r.Jurisdiction)
		}
		if got, want := i.Has(Appeal), !r.Appeal.IsZero(); got != want {
			t.Errorf("%s: appeal right %v, but the clock has an appeal period: %v", r.Jurisdiction, got, want)
		}
		if len(i.RightsText()) != len(i.Rights) {
			t.Errorf("%s: RightsText", r.Jurisdiction)
		}
	}
}

// A Californian is not sent to an EU authority, and a European is not told
// of the CCPA: each row's text speaks of its own law only.
func TestTextsNameTheirOwnLaw(t *testing.T) {
	for _, i := range All() {
		text := strings.Join(append([]string{i.AccessTitle, i.AccessBasis, i.ErasureBasis, i.Authority.Complaint, i.RecordKept}, i.RightsText()...), " ")
		eu := strings.Contains(text, "GDPR") || strings.Contains(text, "Art. 77") || strings.Contains(text, "supervisory authority")
		isEU := i.Clock.Jurisdiction == deadline.GDPR || i.Clock.Jurisdiction == deadline.UKGDPR
		if eu != isEU {
			t.Errorf("%s: GDPR wording %v in %q", i.Clock.Jurisdiction, eu, text)
		}
		if strings.Contains(text, "CCPA") != (i.Clock.Jurisdiction == deadline.CCPA) {
			t.Errorf("%s: CCPA wording in %q", i.Clock.Jurisdiction, text)
		}
	}
	ccpa, err := For(deadline.CCPA)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Right{Access, Deletion, Correction, OptOutSale, LimitSensitive, NonDiscrimination} {
		if !ccpa.Has(r) {
			t.Errorf("CCPA lacks %s", r)
		}
	}
	if !strings.Contains(ccpa.Authority.Complaint, "California Privacy Protection Agency") || !ccpa.Verification.Declaration {
		t.Errorf("CCPA authority or declaration: %+v", ccpa)
	}
	utah, _ := For(deadline.Utah)
	if utah.Has(Correction) || utah.Has(Appeal) || strings.Contains(utah.Authority.Complaint, "appeal") {
		t.Errorf("Utah grants neither correction nor appeal: %+v", utah.Rights)
	}
	co, _ := For(deadline.Colorado)
	if !strings.Contains(co.Authority.Complaint, "45 days") {
		t.Errorf("Colorado's appeal clock missing from %q", co.Authority.Complaint)
	}
}

func TestUnknown(t *testing.T) {
	if _, err := For("hipaa-and-a-very-long-name"); !errors.Is(err, ErrUnknown) || strings.Contains(err.Error(), "very-long-name") {
		t.Errorf("For(unknown) = %v", err)
	}
}
